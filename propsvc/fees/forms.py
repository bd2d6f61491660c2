"""Forms of the fees area [D4]. Amounts are typed in 元 and kept as fen (money.parse_yuan)."""
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..core.forms import ChineseDateField, ChineseIntegerField, Form
from .models import CHARGE_KINDS, CONTACT_METHODS, METHODS, RESULTS
from .money import MoneyError, parse_yuan


def _yuan(allow_zero: bool):
    def check(form, field):
        try:
            field.fen = parse_yuan(field.data, allow_zero=allow_zero)
        except MoneyError as e:
            raise ValidationError(str(e)) from None
    return check


class GenerateForm(Form):
    period = StringField("账期（年-月）", validators=[DataRequired("请填写账期，如 2026-03。"), Length(max=10)],
                         render_kw={"placeholder": "2026-03", "inputmode": "numeric"})


class ItemForm(Form):
    name = StringField("名称", validators=[DataRequired("请填写收费项目名称。"), Length(max=32, message="最多 32 个字。")])
    kind = SelectField("计费方式", choices=list(CHARGE_KINDS.items()))
    rate = StringField("单价（元）", validators=[_yuan(allow_zero=True)], default="0",
                       render_kw={"inputmode": "decimal"})
    active = BooleanField("启用", default=True)


class SettingsForm(Form):
    daily_round = ChineseIntegerField("管家每日催费户数", validators=[DataRequired("请填写 1–200 的整数。")])
    target_pct = ChineseIntegerField("月收缴率目标（%）", validators=[DataRequired("请填写 1–100 的整数。")])


class ImportForm(Form):
    file = FileField("欠费文件（CSV 或 XLSX）")


class PaymentForm(Form):
    receipt_no = StringField("收据号", validators=[DataRequired("请填写收据号。"), Length(max=32, message="最多 32 个字符。")],
                             render_kw={"autocomplete": "off"})
    method = SelectField("付款方式", choices=[("", "请选择")] + list(METHODS.items()),
                         validators=[DataRequired("请选择付款方式。")])
    paid_on = ChineseDateField("收款日期", validators=[DataRequired("请选择收款日期。")])
    amount = StringField("金额（元）", validators=[_yuan(allow_zero=False)], render_kw={"inputmode": "decimal"})


class ReverseForm(Form):
    reason = StringField("冲正原因", validators=[DataRequired("请填写冲正原因。"), Length(max=200, message="最多 200 个字。")])


class ContactForm(Form):
    method = RadioField("方式", choices=list(CONTACT_METHODS.items()), validators=[DataRequired("请选择联系方式。")])
    result = RadioField("结果", choices=list(RESULTS.items()),
                        validators=[DataRequired("请选择结果。")])
    promised_on = ChineseDateField("承诺日期", validators=[Optional()])
    note = StringField("原因/异议内容", validators=[Optional(), Length(max=200, message="最多 200 个字。")])


class NoticeForm(Form):
    building = ChineseIntegerField("楼栋", validators=[Optional()])


class RepairPriceForm(Form):
    name = StringField("名称", validators=[DataRequired("请填写名称。"), Length(max=40, message="最多 40 个字。")])
    kind = SelectField("类别", choices=[("material", "材料"), ("labour", "人工")])
    unit_name = StringField("单位", default="次", validators=[Length(max=8, message="最多 8 个字。")])
    price = StringField("单价（元）", validators=[_yuan(allow_zero=False)], render_kw={"inputmode": "decimal"})


class RepairLineForm(Form):
    price_id = SelectField("价目", coerce=int, validate_choice=False)
    qty = ChineseIntegerField("数量", default=1, validators=[DataRequired("请填写数量。")])


class ConsentForm(Form):
    method = RadioField("签字方式", choices=[("paper", "纸质签字"), ("pad", "签字板")], default="paper",
                        validators=[DataRequired("请选择签字方式。")])
    name = StringField("签字人", validators=[DataRequired("请填写签字人姓名。"), Length(max=64, message="最多 64 个字。")])
    signature = StringField("签名", validators=[Optional()])


class ChargeForm(Form):
    """完工确认，计入账单 (no fields)."""

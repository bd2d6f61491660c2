"""The visitor registration form [F1]. Labels and messages in Chinese."""

from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..registry.forms import strip_text, valid_id_number, valid_phone
from ..core.forms import ChineseIntegerField, Form, IdField, Required
from .services import MAX_PARTY, PURPOSES, is_valid_plate, normalize_plate


def _plate(form, field):
    if field.data:
        field.data = normalize_plate(field.data)
        if not is_valid_plate(field.data):
            raise ValidationError("车牌号格式不正确，如 粤A12345 或 粤AD12345。")


class VisitForm(Form):
    visitor_name = StringField("访客姓名", filters=[strip_text], validators=[
        DataRequired("请填写访客姓名。"), Length(max=32, message="姓名最多32字。")],
        render_kw={"autocomplete": "off"})
    phone = StringField("手机/电话", validators=[DataRequired("请填写访客电话。"), valid_phone],
                        render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    id_number = StringField("身份证号（可不填）", validators=[Optional(), valid_id_number],
                            render_kw={"autocomplete": "off", "maxlength": 18})
    unit_q = StringField("到访房屋", validators=[Optional(), Length(max=40)],
                         render_kw={"placeholder": "房号 3-2-1201 / 业主姓名 / 手机尾号", "autocomplete": "off"})
    unit_id = IdField(validators=[Required("请先查找并选择到访房屋。")], invalid="请从列表中选择房屋。")
    purpose = RadioField("来访事由", choices=list(PURPOSES.items()), default="family",
                         validators=[InputRequired("请选择来访事由。")])
    purpose_note = StringField("事由说明", filters=[strip_text], validators=[
        Optional(), Length(max=200, message="说明最多200字。")],
        render_kw={"placeholder": "如：快递公司、维修项目、陪同中介姓名"})
    plate = StringField("车牌号（可不填）", validators=[Optional(), _plate],
                        render_kw={"placeholder": "粤A12345", "autocomplete": "off", "maxlength": 12})
    party_size = ChineseIntegerField("人数", default=1, parse_error="请填写数字。", validators=[
        InputRequired("请填写人数。"), NumberRange(min=1, max=MAX_PARTY, message=f"人数须在1至{MAX_PARTY}之间。")],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_PARTY})

    def validate_purpose_note(self, field):
        if self.purpose.data == "other" and not field.data:
            raise ValidationError("事由为“其他”时请填写说明。")

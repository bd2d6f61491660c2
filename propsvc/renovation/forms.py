"""Forms of the renovation area. Labels and messages in Chinese."""
from decimal import Decimal, InvalidOperation

from flask_wtf.file import FileAllowed
from wtforms import BooleanField, DecimalField, FileField, MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError, DataRequired

from ..core import limits
from ..core.forms import After, ChineseDateField, ChineseIntegerField, Form, IdField, Required, Within
from ..registry.forms import valid_id_number, valid_phone
from .services import APPLICANT_ROLES, INSPECTION_POINTS

MAX_ATTACHMENTS = 6
IMAGE_EXTS = ["jpg", "jpeg", "png", "webp", "heic", "heif"]


def _max_files(form, field):
    files = [f for f in (field.data or []) if getattr(f, "filename", "")]
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(f"最多上传{MAX_ATTACHMENTS}张图片。")


MSG_AMOUNT = "请填写金额，如 100 或 100.50。"


class MoneyField(DecimalField):
    """An amount in yuan with at most two decimals. Text, "NaN" and "Infinity" are refused with a
    Chinese message (a NaN would otherwise break the range check); empty input gives None."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist and valuelist[0] else ""
        if not raw:
            return
        try:
            amount = Decimal(raw.removesuffix("元").strip())
        except InvalidOperation:
            raise ValueError(MSG_AMOUNT) from None
        if not amount.is_finite():
            raise ValueError(MSG_AMOUNT)
        if amount.normalize().as_tuple().exponent < -2:
            raise ValueError("金额最多两位小数（精确到分）。")
        self.data = amount


def _between(low, high, message):
    """Like NumberRange, but silent when the value did not parse (its message is already there)."""

    def check(form, field):
        if field.data is not None and not (low <= field.data <= high):
            raise ValidationError(message)
    return check


class ApplicationForm(Form):
    unit_q = StringField("房屋", validators=[Optional(), Length(max=40)],
                         render_kw={"placeholder": "房号 3-2-1201 / 业主姓名 / 手机尾号", "autocomplete": "off"})
    unit_id = IdField(validators=[Required("请先查找并选择房屋。")], invalid="请从列表中选择房屋。")
    applicant_role = RadioField("办证人身份", choices=list(APPLICANT_ROLES.items()), default="owner",
                                validators=[InputRequired("请选择办证人身份。")])
    applicant_name = StringField("办证人姓名", validators=[Optional(), Length(max=64, message="姓名最多64字")])
    lead_company = StringField("装修公司", validators=[Optional(), Length(max=100, message="最多100字")],
                               render_kw={"placeholder": "个人施工可不填"})
    lead_name = StringField("装修负责人", validators=[DataRequired("请填写装修负责人姓名。"),
                                                   Length(max=64, message="姓名最多64字")])
    lead_phone = StringField("负责人电话", validators=[DataRequired("请填写装修负责人电话。"), valid_phone],
                             render_kw={"inputmode": "tel"})
    lead_id_number = StringField("负责人身份证号", validators=[DataRequired("请填写装修负责人身份证号。"), valid_id_number],
                                 render_kw={"autocomplete": "off", "maxlength": 18})
    scope = TextAreaField("装修内容", validators=[DataRequired("请填写装修内容。"),
                                              Length(max=1000, message="装修内容最多1000字")],
                          render_kw={"placeholder": "如：厨卫改造、墙面刷漆、铺地板；不涉及承重墙"})
    starts_on = ChineseDateField("计划开工日期", validators=[Required("请填写计划开工日期。"),
                                                      Within(limits.RENOVATION_STARTS)])
    ends_on = ChineseDateField("计划完工日期", validators=[
        Optional(), After("starts_on", limits.RENOVATION_LENGTH, limits.RENOVATION_LENGTH_MESSAGE)])
    first_renovation = BooleanField("首次装修（需管家陪同业主检查门窗、地漏）")
    photos = MultipleFileField("附件照片（装修图纸、业主授权等，可不传）", validators=[_max_files, FileAllowed(
        IMAGE_EXTS, "只能上传图片。")])



class ReasonForm(Form):
    reason = TextAreaField("驳回原因", validators=[DataRequired("请填写驳回原因。"), Length(max=500)])


class NoteForm(Form):
    note = StringField("说明", validators=[Optional(), Length(max=200)])


class ExtensionForm(Form):
    requester_role = RadioField("申请人身份", choices=list(APPLICANT_ROLES.items()), default="owner",
                                validators=[InputRequired("请选择申请人身份。")])
    requester_name = StringField("申请人姓名", validators=[DataRequired("请填写申请人姓名。"), Length(max=64)])
    reason = TextAreaField("延期原因", validators=[DataRequired("请填写延期原因。"), Length(max=500, message="最多500字")])
    new_end = ChineseDateField("新的完工日期", validators=[Required("请填写新的完工日期。"),
                                                    Within(limits.EXTENSION_NEW_END)])
    fee = MoneyField("延期费用（元）", places=2, default=0,
                     validators=[Optional(), _between(0, 100000, "费用须在0至100000元之间。")],
                     render_kw={"inputmode": "decimal"})


class DecisionForm(Form):
    decision = RadioField("意见", choices=[("agree", "同意"), ("refuse", "不同意")], default="agree",
                          validators=[InputRequired("请选择意见。")])
    note = StringField("意见说明", validators=[Optional(), Length(max=200)])


class FeeForm(Form):
    receipt_no = StringField("收据号", validators=[DataRequired("请填写收据号。"), Length(max=32)])


class SettingsForm(Form):
    """The community's renovation amounts [R5] and default period [R1]."""

    deposit = MoneyField("押金（元/人）", places=2, validators=[
        InputRequired("请填写押金金额。"), _between(0, 10000, "金额须在0至10000元之间。")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    card_fee = MoneyField("工本费（元/人）", places=2, validators=[
        InputRequired("请填写工本费金额。"), _between(0, 10000, "金额须在0至10000元之间。")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"})
    default_months = ChineseIntegerField("默认装修期（月）", validators=[
        InputRequired("请填写月数。"), _between(1, 24, "月数须在1至24之间。")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})


def inspection_form_class():
    """The inspection form: for each point a result, a note and a photo [R2]."""

    class InspectionForm(Form):
        rules_told = BooleanField("已向业主讲解装修管理规定（施工时间、垃圾清运、禁止改动承重结构等）")
        neighbours_told = BooleanField("已告知业主相邻房屋的装修情况")

    for key, label in INSPECTION_POINTS.items():
        setattr(InspectionForm, f"{key}_result", RadioField(
            label, choices=[("ok", "正常"), ("defect", "有问题")], validators=[Optional()]))
        setattr(InspectionForm, f"{key}_note", StringField(
            f"{label}问题说明", validators=[Optional(), Length(max=200, message="最多200字")]))
        setattr(InspectionForm, f"{key}_photo", FileField(
            f"{label}照片", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")]))
    return InspectionForm


InspectionForm = inspection_form_class()

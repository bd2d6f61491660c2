"""Forms of the release-slip area. Labels and messages in Chinese."""
import re

from flask_wtf.file import FileAllowed
from wtforms import BooleanField, FieldList, FileField, FormField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError

from ..registry.forms import valid_id_number, valid_phone
from ..core.timefmt import site_today
from ..core.forms import ChineseDateField, ChineseIntegerField, Form, IdField, Required, SubForm
from . import services
from .models import APPLICANT_ROLES, CONSENT_METHODS

ITEM_ROWS = 8            # blank item rows of a new form
MORE_ROWS = 5            # blank rows 更多行 adds (no JavaScript)
# Rows a post may carry: blank rows beside MAX_ITEMS filled ones. More are not built into the
# form (a made-up post): it is refused with its count, not cut short silently.
MAX_ROWS = 2 * services.MAX_ITEMS
ROW_INDEX_LIMIT = 10**6  # the index of a row + 添加一行 asks for
IMAGE_EXTS = ["jpg", "jpeg", "png", "webp", "heic", "heif"]
PLATE_RE = re.compile(r"[\u4e00-\u9fa5][A-Z][A-Z0-9]{4,6}[\u4e00-\u9fa5]?")


def _parsed(form, field):
    """A quantity that did not parse has its one message already (no range message besides)."""
    if field.process_errors:
        raise StopValidation()


class ItemForm(SubForm):
    """One item line; its messages sit on that line."""
    name = StringField("物品名称", validators=[Optional(), Length(max=services.ITEM_NAME_MAX,
                                                             message=services.MSG_ITEM_NAME)])
    qty = ChineseIntegerField("数量", default=1, parse_error="数量须为整数（1、2、3…）。",
                              validators=[Optional(), _parsed, NumberRange(min=1, max=services.ITEM_QTY_MAX,
                                                                  message=services.MSG_ITEM_QTY)],
                              render_kw={"inputmode": "numeric", "min": 1, "max": services.ITEM_QTY_MAX})

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not (self.name.data or "").strip() and self.qty.data not in (None, 1):
            self.name.errors = list(self.name.errors) + [services.MSG_ITEM_NO_NAME]
            ok = False
        return ok


class ItemLines(FieldList):
    """The item rows as posted, in the order of their indices (gaps are fine: a row deleted in
    the browser). `posted` counts the rows posted; beyond max_entries they are not built and
    SlipForm refuses the post with that count."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.posted = len(set(self._extract_indices(self.name, formdata))) if formdata else 0
        super().process(formdata, data, extra_filters)

    def add_blank(self, n: int) -> list:
        """Up to n blank rows at the end (更多行), never more rows than a slip has lines."""
        return [self.append_entry() for _ in range(max(0, min(n, services.MAX_ITEMS - len(self.entries))))]


class SlipForm(Form):
    unit_q = StringField("房屋", validators=[Optional(), Length(max=40)],
                         render_kw={"placeholder": "房号 3-2-1201 / 业主姓名 / 手机尾号", "autocomplete": "off"})
    unit_id = IdField(validators=[Required("请先查找并选择房屋。")], invalid="请从列表中选择房屋。")
    applicant_role = RadioField("申请人身份", choices=list(APPLICANT_ROLES.items()), default="owner",
                                validators=[InputRequired("请选择申请人身份。")])
    applicant_name = StringField("申请人姓名", validators=[DataRequired("请填写申请人姓名。"),
                                                      Length(max=64, message="姓名最多64字")])
    consent_method = RadioField("业主同意方式（租户申请时必填）", choices=list(CONSENT_METHODS.items()),
                                validators=[Optional()])
    consent_owner = StringField("同意的业主姓名", validators=[Optional(), Length(max=64)])
    consent_staff = StringField("接听电话的工作人员", validators=[Optional(), Length(max=64)])
    consent_signature = HiddenField()
    consent_photo = FileField("业主书面同意书照片", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])
    carrier_name = StringField("携物人姓名", validators=[DataRequired("请填写携物人姓名。"), Length(max=64)])
    carrier_id_number = StringField("携物人身份证号", validators=[DataRequired("请填写携物人身份证号。"), valid_id_number],
                                    render_kw={"autocomplete": "off", "maxlength": 18})
    carrier_phone = StringField("携物人电话", validators=[DataRequired("请填写携物人电话。"), valid_phone],
                                render_kw={"inputmode": "tel"})
    items = ItemLines(FormField(ItemForm), min_entries=ITEM_ROWS, max_entries=MAX_ROWS)
    moving_on = ChineseDateField("搬出日期", parse_error="日期格式不正确，请选择日期。", default=site_today,
                                 validators=[InputRequired("请填写搬出日期。")])  # today, on the site's clock
    vehicle_plate = StringField("车牌号（可不填）", validators=[Optional(), Length(max=10)],
                                render_kw={"placeholder": "如 粤B12345", "autocapitalize": "characters"})
    signature = HiddenField()
    sign_on_paper = BooleanField("申请人在纸质放行条上签字（不在屏幕上签）")

    def validate_vehicle_plate(self, field):
        if field.data:
            field.data = re.sub(r"[\s·.-]", "", field.data).upper()
            if not PLATE_RE.fullmatch(field.data):
                raise ValidationError("车牌号格式不正确，如 粤B12345。")

    def validate_signature(self, field):
        """Decode the pad's PNG now: errors sit next to the pad ("请签名")."""
        self.signature_png = None
        if self.sign_on_paper.data:
            return
        try:
            self.signature_png = services.decode_signature(field.data)
        except services.SlipError as e:
            raise ValidationError(str(e)) from None

    def validate_consent_signature(self, field):
        self.consent_png = None
        if self.applicant_role.data == "tenant" and self.consent_method.data == "kiosk" and field.data:
            try:
                self.consent_png = services.decode_signature(field.data)
            except services.SlipError as e:
                raise ValidationError(str(e).replace("请签名", "请业主签字")) from None

    def item_rows(self) -> list[tuple[str, int]]:
        return [(row.form.name.data, row.form.qty.data) for row in self.items]

    def validate_items(self, field):
        if field.posted > MAX_ROWS:
            raise ValidationError(f"一次最多提交{MAX_ROWS}行，本次提交了{field.posted}行，"
                                  f"只显示了前{MAX_ROWS}行；一张放行条最多{services.MAX_ITEMS}项物品。")
        filled = sum(1 for row in field if (row.form.name.data or "").strip())
        if filled > services.MAX_ITEMS:
            raise ValidationError(services.too_many_items(filled))
        if not filled and not any(row.errors for row in field):
            raise ValidationError(services.MSG_ITEMS)


class ReasonForm(Form):
    reason = TextAreaField("原因", validators=[DataRequired("请填写原因。"), Length(max=200, message="最多200字")])


class StepForm(Form):
    """A step without input (sign, stamp); its one-time key makes a double tap act once."""

"""Forms of the patrol settings pages (巡查设置, 巡查计划). Labels and messages in Chinese.

Each form is small and posts on its own (one template, one item, the coverage rules, one
plan), with or without htmx. Choices that depend on the community (templates, stewards,
buildings) are filled in by the view."""
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, StopValidation, ValidationError

from ..core.forms import (WEEKDAY_LABELS, ChineseIntegerField, ChineseTimeField, Form, MultiCheckboxField, Required,
                          record_id)
from .models import PATROL_KIND_LABELS

TARGET_LABELS = {"building": "楼栋", "unit": "房屋", "area": "区域"}
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _stripped(message: str):
    def check(form, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise StopValidation(message)
    return check


class TemplateAddForm(Form):
    kind = SelectField("巡查类型", choices=[(str(k), v) for k, v in PATROL_KIND_LABELS.items()],
                       validators=[DataRequired("请选择巡查类型。")])
    name = StringField("名称", validators=[_stripped("请填写检查表名称。"), Length(max=64, message="名称最多64字。")],
                       render_kw={"placeholder": "如：3栋楼道巡查"})


class TemplateEditForm(Form):
    name = StringField("名称", validators=[_stripped("请填写检查表名称。"), Length(max=64, message="名称最多64字。")])
    active = BooleanField("启用（新的巡查和计划可选用）")


class ItemForm(Form):
    text = StringField("检查项", validators=[_stripped("请填写检查项内容。"), Length(max=100, message="检查项最多100字。")],
                       render_kw={"placeholder": "如：楼道灯是否正常"})
    photo_required = BooleanField("有问题时必须拍照", default=True)


class CoverageForm(Form):
    buildings_per_day = ChineseIntegerField(
        "每位管家每天应巡楼栋数", validators=[Required("请填写每天应巡楼栋数。"),
                                     NumberRange(min=0, max=50, message="请填写0到50之间的整数。")],
        parse_error="请填写整数。", render_kw={"inputmode": "numeric", "min": 0, "max": 50})
    vacant_every_days = ChineseIntegerField(
        "空置房每隔几天巡查一次", validators=[Required("请填写空置房巡查间隔天数。"),
                                    NumberRange(min=1, max=90, message="请填写1到90之间的整数。")],
        parse_error="请填写整数。", render_kw={"inputmode": "numeric", "min": 1, "max": 90})


class PlanForm(Form):
    template_id = SelectField("检查表", coerce=record_id, choices=[], validate_choice=False)
    steward_id = SelectField("管家", coerce=record_id, choices=[], validate_choice=False)
    target_type = RadioField("巡查对象", choices=list(TARGET_LABELS.items()), default="building",
                             validators=[DataRequired("请选择巡查对象。")])
    building_id = SelectField("楼栋", coerce=record_id, choices=[], default=0, validate_choice=False)
    unit_code = StringField("房号", validators=[Length(max=40, message="房号太长。")],
                            render_kw={"placeholder": "如 3-2-1201", "autocomplete": "off"})
    area = StringField("区域", validators=[Length(max=100, message="区域最多100字。")],
                       render_kw={"placeholder": "如：南门至地库入口、中心花园"})
    weekdays = MultiCheckboxField("巡查日", coerce=int, choices=list(enumerate(WEEKDAY_LABELS)),
                                  default=list(range(7)))
    window_start = ChineseTimeField("开始时间", format=TIME_FORMATS, validators=[Required("请填写开始时间。")],
                                  parse_error="时间格式不正确。")
    window_end = ChineseTimeField("截止时间", format=TIME_FORMATS, validators=[Required("请填写截止时间。")],
                                parse_error="时间格式不正确。")

    def validate_template_id(self, field):
        if field.data not in {v for v, _ in field.choices if v}:
            raise ValidationError("请选择检查表。")

    def validate_steward_id(self, field):
        if field.data not in {v for v, _ in field.choices if v}:
            raise ValidationError("请选择管家。")

    def validate_target_type(self, field):
        if field.data not in TARGET_LABELS:
            raise StopValidation("请选择巡查对象。")

    def validate_building_id(self, field):
        if self.target_type.data == "building" and field.data not in {v for v, _ in field.choices if v}:
            raise ValidationError("请选择楼栋。")

    def validate_unit_code(self, field):
        field.data = (field.data or "").strip()
        if self.target_type.data == "unit" and not field.data:
            raise StopValidation("请填写房号，如 3-2-1201。")

    def validate_area(self, field):
        field.data = (field.data or "").strip()
        if self.target_type.data == "area" and not field.data:
            raise StopValidation("请填写巡查区域。")

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError("请至少选择一天。")
        if any(d not in range(7) for d in field.data):
            raise ValidationError("巡查日不正确。")

    def validate_window_end(self, field):
        if field.data and self.window_start.data and field.data <= self.window_start.data:
            raise ValidationError("截止时间应晚于开始时间。")

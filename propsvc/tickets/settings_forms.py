"""Forms of the ticket settings page (工单设置). Labels and messages in Chinese.

Each form is small and self-contained (one category, one urgency's deadlines, the working
hours, one holiday, one outage), so it can be posted on its own with or without htmx."""
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from ..core import limits
from ..core.forms import (WEEKDAY_LABELS, After, ChineseDateField, ChineseDateTimeField, Form, MultiCheckboxField,
                          Required, Within, record_id)
from .calendar import parse_periods, parse_spec
from .models import AssignMode

ASSIGN_MODE_LABELS = {AssignMode.SUPERVISOR: "主管派单", AssignMode.GRAB: "部门抢单"}
OUTAGE_KINDS = ["停水", "停电", "停气", "其他"]
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


_required = Required  # one message, not two, for fields whose parsing reports a bad value


def _spec(form, field):
    try:
        days, minutes = parse_spec(field.data or "")
    except ValueError as e:
        raise ValidationError(str(e)) from None
    if days == 0 and minutes == 0:
        raise ValidationError("时限不能为0。")


def _periods(form, field):
    try:
        parse_periods(field.data or "")
    except ValueError as e:
        raise ValidationError(str(e)) from None


class CategoryForm(Form):
    name = StringField("名称", validators=[DataRequired("请填写类别名称。"),
                                         Length(max=32, message="类别名称最多32字。")])
    department_id = SelectField("默认部门", coerce=record_id, default=0)
    assign_mode = SelectField("派单方式", choices=list(ASSIGN_MODE_LABELS.items()), default=AssignMode.SUPERVISOR)
    active = BooleanField("启用（登记工单时可选）", default=True)

    def validate_name(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise StopValidation("请填写类别名称。")

    def validate_assign_mode(self, field):
        if field.data == AssignMode.GRAB and not self.department_id.data:
            raise ValidationError("部门抢单需要指定默认部门。")


class SlaForm(Form):
    respond = StringField("响应时限", validators=[_spec], render_kw={"placeholder": "如 15m、2h", "inputmode": "text"})
    resolve = StringField("完成时限", validators=[_spec], render_kw={"placeholder": "如 4h、1d、3d"})
    clock = RadioField("计时方式", choices=[("working", "按工作时间"), ("wall", "按自然时间（24小时）")],
                       default="working", validators=[DataRequired("请选择计时方式。")])


class HoursForm(Form):
    periods = StringField("上班时段", validators=[_periods], render_kw={"placeholder": "08:30-12:00,14:00-18:00"})
    weekdays = MultiCheckboxField("工作日", coerce=int, choices=list(enumerate(WEEKDAY_LABELS)))
    statutory = BooleanField("按国家法定节假日放假、调休上班（国务院每年的放假安排，随日历数据更新）")

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError("请至少选择一个工作日。")


class HolidayForm(Form):
    day = ChineseDateField("日期", validators=[Required("请选择日期。"), Within(limits.HOLIDAY_DAY)],
                           parse_error="日期格式不正确。")
    name = StringField("名称", validators=[Length(max=32, message="名称最多32字。")],
                       render_kw={"placeholder": "如：国庆节、国庆调休"})
    workday = RadioField("类型", choices=[("0", "放假（不计工作时间）"), ("1", "调休上班")], default="0",
                         validators=[DataRequired("请选择类型。")])


class OutageForm(Form):
    what = RadioField("类型", choices=[(k, k) for k in OUTAGE_KINDS], default="停水",
                      validators=[DataRequired("请选择类型。")])
    all_buildings = BooleanField("全部楼栋")
    building_ids = MultiCheckboxField("楼栋", coerce=record_id, choices=[])
    starts_at = ChineseDateTimeField("开始时间", format=DATETIME_FORMAT, validators=[
        Required("请填写开始时间。"), Within(limits.OUTAGE_STARTS)])
    ends_at = ChineseDateTimeField("预计恢复时间", format=DATETIME_FORMAT, validators=[
        Required("请填写预计恢复时间。"), After("starts_at", limits.OUTAGE_LENGTH, limits.OUTAGE_LENGTH_MESSAGE)])
    script = TextAreaField("告知来电人的话术", validators=[DataRequired("请填写告知来电人的话术。"),
                                                    Length(max=500, message="话术最多500字。")],
                           render_kw={"placeholder": "如：因市政管道维修，3栋今日9:00-17:00停水，请提前储水，恢复供水后请先放水片刻。",
                                      "rows": 3})

    def validate_building_ids(self, field):
        if not field.data and not self.all_buildings.data:
            raise ValidationError("请选择停水/停电的楼栋，或勾选“全部楼栋”。")

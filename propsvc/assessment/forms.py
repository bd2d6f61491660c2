"""Forms of the assessment area [A2][A3]. The services check the same rules again
(AssessmentError), so a message lands next to its field either way."""
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, StopValidation

from ..core.forms import ChineseDateField, ChineseDecimalField, ChineseIntegerField, Form, IdField, Required, record_id
from ..registry.forms import strip_text

REVIEW_CHOICES = [("confirm", "确认考核"), ("waive", "免除")]


class ReviewForm(Form):
    result_id = IdField(validators=[Required("请选择考核记录。")], invalid="找不到这条考核记录。")
    decision = SelectField("审核", choices=REVIEW_CHOICES, default="confirm")
    reason = TextAreaField("原因", filters=[strip_text], validators=[Length(max=200, message="原因最多200字。")],
                           render_kw={"placeholder": "免除须填写原因：病假、系统故障、临时调岗…", "rows": 2})


class AppealForm(Form):
    result_id = IdField(validators=[Required("请选择考核记录。")], invalid="找不到这条考核记录。")
    note = TextAreaField("申诉说明", filters=[strip_text], validators=[
        Required("请填写申诉说明。"), Length(max=300, message="申诉说明最多300字。")], render_kw={"rows": 2})


class EvaluateForm(Form):
    day = ChineseDateField("评估日期", validators=[Required("请选择要评估的日期。")])


class MarkForm(Form):
    """[A1] A standard the app cannot measure (仪容仪表, 晨会): the supervisor records a miss."""
    steward_id = SelectField("管家", coerce=record_id, validate_choice=False)
    standard_id = SelectField("考核标准", coerce=record_id, validate_choice=False)
    day = ChineseDateField("日期", validators=[Required("请选择日期。")])
    note = TextAreaField("情况说明", filters=[strip_text], validators=[
        Required("请说明未达标的情况。"), Length(max=200, message="情况说明最多200字。")], render_kw={"rows": 2})

    def __init__(self, *a, stewards=(), standards=(), **kw):
        super().__init__(*a, **kw)
        self.steward_id.choices = [(0, "请选择")] + [(u.id, u.name) for u in stewards]
        self.standard_id.choices = [(0, "请选择")] + [(s.id, s.text) for s in standards]


def _finite(form, field):
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("请填写有效的金额。")


class StandardForm(Form):
    """[A1] A standard's amount per miss (元), patrol quota, non-working days, in use."""
    standard_id = IdField(validators=[Required("请选择考核标准。")], invalid="找不到这项考核标准。")
    amount = ChineseDecimalField("每次考核金额（元）", places=2, validators=[
        Required("请填写考核金额。"), _finite, NumberRange(max=10000, message="考核金额最多10000元。")])
    quota = ChineseIntegerField("巡查楼栋定额（空：按巡查设置）", validators=[
        Optional(), NumberRange(max=1000, message="巡查楼栋定额最多1000栋。")])
    non_working_days = BooleanField("非工作日也考核")
    active = BooleanField("启用", default=True)

"""Forms of the events area [F2]. Labels and messages in Chinese; the service checks the same
rules again (EventError), so a message lands next to its field either way."""
from flask_wtf.file import FileAllowed
from wtforms import MultipleFileField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import ChineseDateTimeField, ChineseIntegerField, Form, IdField, Required, record_id
from ..registry.forms import strip_text
from .models import AGE_LABELS, KIND_LABELS
from .services import CAPACITY_MAX, PEOPLE_MAX, TITLE_MAX


def _max_photos(form, field):
    if len([f for f in (field.data or []) if getattr(f, "filename", "")]) > 6:
        raise ValidationError("最多上传6张照片。")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        if self.data and any(v not in {c[0] for c in self.choices} for v in self.data):
            raise ValidationError("所选楼栋不属于本小区。")


class EventForm(Form):
    title = StringField("活动名称", filters=[strip_text], validators=[
        DataRequired("请填写活动名称。"), Length(max=TITLE_MAX, message=f"活动名称最多{TITLE_MAX}字。")],
        render_kw={"placeholder": "如：元宵节猜灯谜", "maxlength": TITLE_MAX})
    kind = SelectField("活动类型", choices=list(KIND_LABELS.items()), default="festival", validate_choice=False)
    starts_at = ChineseDateTimeField("开始时间", validators=[Required("请填写开始时间。")])
    ends_at = ChineseDateTimeField("结束时间", validators=[Required("请填写结束时间。")])
    place = StringField("活动地点", filters=[strip_text], validators=[
        DataRequired("请填写活动地点。"), Length(max=60, message="活动地点最多60字。")],
        render_kw={"placeholder": "如：中心广场"})
    capacity = ChineseIntegerField("人数上限", validators=[
        Required("请填写人数上限。"), NumberRange(1, CAPACITY_MAX, f"人数上限须在1至{CAPACITY_MAX}之间。")],
        render_kw={"inputmode": "numeric"})
    age_group = SelectField("适合人群", choices=list(AGE_LABELS.items()), default="all", validate_choice=False)
    building_ids = MultiCheckboxField("面向楼栋（不选 = 全体住户）", coerce=record_id, choices=[])
    description = TextAreaField("活动介绍", validators=[Optional(), Length(max=2000, message="活动介绍最多2000字。")],
                                render_kw={"rows": 3})
    resources = TextAreaField("物资与人员（每行：事项 | 负责人 | 截止日期）", validators=[Optional(), Length(max=4000)],
                              render_kw={"rows": 4, "placeholder": "音响设备 | 李工 | 2026-12-10\n签到台 | 王管家"})
    budget = TextAreaField("预算（每行：项目 | 金额）", validators=[Optional(), Length(max=2000)],
                           render_kw={"rows": 3, "placeholder": "场地布置 | 300\n奖品 | 500"})

    def __init__(self, *a, buildings=(), **kw):
        super().__init__(*a, **kw)
        self.building_ids.choices = [(b.id, f"{b.number}栋") for b in buildings]

    def validate_kind(self, field):
        if field.data not in KIND_LABELS:
            raise ValidationError("请选择活动类型。")

    def validate_age_group(self, field):
        if field.data not in AGE_LABELS:
            raise ValidationError("请选择适合人群。")

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError("结束时间须晚于开始时间。")


class SignupForm(Form):
    unit_q = StringField("房屋", validators=[Optional(), Length(max=40)],
                         render_kw={"placeholder": "房号 3-2-1201 / 业主姓名 / 手机尾号", "autocomplete": "off"})
    unit_id = IdField(validators=[Required("请先查找并选择房屋。")], invalid="请从列表中选择房屋。")
    name = StringField("报名人姓名", filters=[strip_text], validators=[
        DataRequired("请填写报名人姓名。"), Length(max=32, message="姓名最多32字。")], render_kw={"autocomplete": "off"})
    people = ChineseIntegerField("人数", default=1, validators=[
        Required("请填写人数。"), NumberRange(1, PEOPLE_MAX, f"人数须在1至{PEOPLE_MAX}之间。")],
        render_kw={"inputmode": "numeric"})
    phone = StringField("联系电话", filters=[strip_text], validators=[
        DataRequired("请填写联系电话。"), Length(max=20, message="请填写11位手机号或带区号的固定电话。")],
        render_kw={"inputmode": "tel", "autocomplete": "off"})


class WalkinForm(SignupForm):
    """现场加入: the home is optional (a guest from outside), the phone too."""

    unit_id = IdField(invalid="请从列表中选择房屋。")
    phone = StringField("联系电话（可不填）", filters=[strip_text], validators=[
        Optional(), Length(max=20, message="请填写11位手机号或带区号的固定电话。")],
        render_kw={"inputmode": "tel", "autocomplete": "off"})


class ActionForm(Form):
    """A step without fields (发布, 开始签到, 结束活动, 签到, 取消报名, 已通知, 勾选物资): CSRF and key only."""


class CancelForm(Form):
    reason = StringField("取消原因", filters=[strip_text], validators=[
        DataRequired("请填写取消原因。"), Length(max=200, message="取消原因最多200字。")],
        render_kw={"placeholder": "如：天气原因"})


class LookBackForm(Form):
    summary = TextAreaField("活动总结", validators=[Optional(), Length(max=600, message="总结最多600字（一页打印）。")],
                            render_kw={"rows": 4})
    satisfaction = StringField("满意度（几位参加者的评分，1–5分，用逗号隔开）", validators=[Optional(), Length(max=600)],
                               render_kw={"placeholder": "5, 4, 5, 5"})
    costs = TextAreaField("实际花费（每行：项目 | 金额）", validators=[Optional(), Length(max=2000)],
                          render_kw={"rows": 3})
    photos = MultipleFileField("活动照片（最多6张）", validators=[_max_photos, FileAllowed(
        ["jpg", "jpeg", "png", "webp", "heic", "heif"], "只能上传图片。")], render_kw={"accept": "image/*"})

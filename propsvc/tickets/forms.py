"""Forms of the ticket area. Labels and messages in Chinese; choices come from the models."""

from flask_wtf.file import FileAllowed
from wtforms import BooleanField, MultipleFileField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..core import limits
from ..core.forms import ChineseDateTimeField, Form, IdField, Required, Within, record_id
from ..registry.forms import valid_phone
from .models import CHANNEL_LABELS, INTAKE_KINDS, KIND_LABELS, OUTCOME_LABELS, URGENCY_LABELS, Urgency
from .services import ANSWER_LATER, ANSWER_NOW, CONDITIONAL_FIELDS, CONTACT_METHODS, intake_fields

MAX_PHOTOS = 4
DESCRIPTION_MAX = 2000


def _max_photos(form, field):
    files = [f for f in (field.data or []) if getattr(f, "filename", "")]
    if len(files) > MAX_PHOTOS:
        raise ValidationError(f"最多上传{MAX_PHOTOS}张照片。")


class PhotosMixin:
    photos = MultipleFileField("照片（最多4张）", validators=[_max_photos, FileAllowed(
        ["jpg", "jpeg", "png", "webp", "heic", "heif"], "只能上传图片。")])


class TicketForm(PhotosMixin, Form):
    kind = RadioField("类型", choices=[(k, KIND_LABELS[k]) for k in INTAKE_KINDS], default="repair",
                      validators=[InputRequired("请选择类型")])
    channel = SelectField("来源", choices=list(CHANNEL_LABELS.items()), default="phone")
    unit_q = StringField("房屋", validators=[Optional(), Length(max=40)],
                         render_kw={"placeholder": "房号 3-2-1201 / 业主姓名 / 手机尾号", "autocomplete": "off"})
    unit_id = IdField(invalid="请从列表中选择房屋。")
    building_id = SelectField("公共区域所在楼栋", coerce=record_id, default=0)
    location = StringField("公共区域位置", validators=[Optional(), Length(max=100, message="位置最多100字")],
                           render_kw={"placeholder": "如：3栋大堂、北门车库入口"})
    reporter_name = StringField("报事人", validators=[Optional(), Length(max=64, message="姓名最多64字")])
    reporter_phone = StringField("联系电话", validators=[Optional(), valid_phone], render_kw={"inputmode": "tel"})
    category_id = SelectField("类别", coerce=record_id, validators=[DataRequired("请选择类别")])
    urgency = RadioField("紧急程度", choices=list(URGENCY_LABELS.items()), default="normal",
                         validators=[InputRequired("请选择紧急程度")])
    description = TextAreaField("描述", validators=[
        DataRequired("请填写描述"), Length(max=DESCRIPTION_MAX, message=f"描述最多{DESCRIPTION_MAX}字")])
    # [T6] a question: answered at once, or a promised reply time
    answer_now = RadioField("能否当场答复", choices=[(ANSWER_NOW, "能，当场答复"), (ANSWER_LATER, "不能，约定时间答复")],
                            validators=[Optional()])
    answer = TextAreaField("答复内容", validators=[
        Optional(), Length(max=DESCRIPTION_MAX, message=f"答复最多{DESCRIPTION_MAX}字")])
    reply_due = ChineseDateTimeField("约定答复时间", validators=[Optional(), Within(limits.TICKET_REPLY_DUE)])

    # A conditional field (tickets.services.intake_fields) is required only when its kind, or for
    # a question its answer, asks for it; otherwise its value and its errors are dropped.
    REQUIRED_WHEN_ASKED = {"answer_now": "请选择能否当场答复", "answer": "请填写答复内容",
                           "reply_due": "请填写约定答复时间"}
    NOT_ASKED = {"urgency": Urgency.NORMAL, "photos": [], "answer_now": None, "answer": None, "reply_due": None}

    @property
    def asked(self) -> frozenset[str]:
        """The conditional fields this request asks for, as its kind and answer are now."""
        return intake_fields(self.kind.data, self.answer_now.data)

    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        asked = self.asked
        for name in CONDITIONAL_FIELDS - asked:
            self[name].errors = []
            self[name].data = self.NOT_ASKED[name]
        for name, message in self.REQUIRED_WHEN_ASKED.items():
            field = self[name]
            blank = field.data is None or (isinstance(field.data, str) and not field.data.strip())
            if name in asked and blank and not field.errors:
                field.errors = [message]
        return not self.errors

    def validate_location(self, field):
        if not self.unit_id.data and not (field.data or "").strip() and not self.building_id.data:
            raise ValidationError("请选择房屋，或填写公共区域位置。")


class DispatchForm(Form):
    department_id = SelectField("部门", coerce=record_id, validators=[DataRequired("请选择部门")])
    assignee_id = SelectField("人员", coerce=record_id, default=0, validators=[Optional()])
    task = TextAreaField("处理要求（处理人可见）", validators=[Optional(), Length(max=500)])


class NoteForm(PhotosMixin, Form):
    text = TextAreaField("进展", validators=[DataRequired("请填写内容"), Length(max=2000)])
    public = BooleanField("业主可见")


class DelayForm(Form):
    text = TextAreaField("延期原因", validators=[DataRequired("请填写延期原因"), Length(max=500)])
    expected_at = ChineseDateTimeField("新的预计完成时间", validators=[
        Required("请填写新的预计完成时间"), Within(limits.TICKET_DELAY_TO)])
    owner_told = BooleanField("已告知业主")


class PauseForm(Form):
    text = StringField("暂停原因", validators=[DataRequired("请填写暂停原因"), Length(max=100)],
                       render_kw={"placeholder": "如：业主不在家，约定上门时间"})
    until = ChineseDateTimeField("预约时间", validators=[Optional(), Within(limits.TICKET_PAUSE_UNTIL)])


class MemoForm(PhotosMixin, Form):
    text = TextAreaField("工作函", validators=[DataRequired("请填写工作函内容"), Length(max=2000)])


class ResolveForm(PhotosMixin, Form):
    text = TextAreaField("处理结果", validators=[DataRequired("请填写处理结果"), Length(max=2000)])


class ConfirmForm(Form):
    text = StringField("确认说明", validators=[Optional(), Length(max=200)],
                       render_kw={"placeholder": "如：业主电话确认已修好"})


class VisitForm(Form):
    satisfaction = RadioField("满意度", coerce=int, choices=[(5, "5 非常满意"), (4, "4 满意"), (3, "3 一般"),
                                                            (2, "2 不满意"), (1, "1 很不满意")],
                              validators=[InputRequired("请选择满意度")])
    outcome = RadioField("结果", choices=list(OUTCOME_LABELS.items()), validators=[InputRequired("请选择结果")])
    text = TextAreaField("回访意见", validators=[Optional(), Length(max=1000)])


class AnswerForm(Form):
    text = TextAreaField("答复", validators=[DataRequired("请填写答复内容"), Length(max=2000)])


class PromiseForm(Form):
    reply_due = ChineseDateTimeField("约定答复时间", validators=[
        Required("请填写约定答复时间"), Within(limits.TICKET_REPLY_DUE)])


class ContactForm(Form):
    method = RadioField("方式", choices=list(CONTACT_METHODS.items()), default="phone",
                        validators=[InputRequired("请选择联系方式")])
    text = TextAreaField("内容", validators=[DataRequired("请填写联系内容"), Length(max=1000)])


class CloseForm(Form):
    text = StringField("关闭原因", validators=[DataRequired("请填写关闭原因"), Length(max=200)])


class CallerForm(Form):
    """A caller linked to a recorded outage (停水/停电) from the intake form."""
    unit_id = IdField(invalid="请从列表中选择房屋。")
    reporter_name = StringField("报事人", validators=[Optional(), Length(max=64)])
    reporter_phone = StringField("联系电话", validators=[Optional(), valid_phone])
    channel = SelectField("来源", choices=list(CHANNEL_LABELS.items()), default="phone")


class AttachForm(CallerForm):
    """A caller attached to an open ticket (one more affected household)."""
    ticket_id = IdField(validators=[Required("请选择要关联的工单。")])


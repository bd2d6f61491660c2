"""Forms of the notices area. Labels and messages in Chinese; the service checks the same
rules again (NoticeError), so a message lands next to its field either way."""

from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from ..core import limits
from ..core.forms import BuildingsField, ChineseDateField, Form, Required, Within, record_id
from .models import NOTICE_KIND_LABELS
from .services import BODY_MAX, TITLE_MAX



class NoticeForm(Form):
    kind = RadioField("类型", choices=list(NOTICE_KIND_LABELS.items()), default="notice", validate_choice=False,
                      validators=[InputRequired("请选择公告类型。")])
    title = StringField("标题", validators=[DataRequired("请填写标题。"),
                                          Length(max=TITLE_MAX, message=f"标题最多{TITLE_MAX}字。")],
                        render_kw={"placeholder": "如：关于3栋、4栋临时停水的通知", "maxlength": TITLE_MAX})
    body = TextAreaField("内容", validators=[DataRequired("请填写公告内容。"),
                                           Length(max=BODY_MAX, message=f"公告内容最多{BODY_MAX}字。")],
                         render_kw={"rows": 8, "placeholder": "尊敬的各位业主/住户：\n\n……（空一行分段）"})
    building_ids = BuildingsField("涉及楼栋（不选 = 全体住户）", coerce=record_id, choices=[])
    valid_from = ChineseDateField("开始展示", validators=[Required("请填写开始展示日期。"), Within(limits.NOTICE_FROM)])
    valid_until = ChineseDateField("结束展示", validators=[Required("请填写结束展示日期。")])

    def __init__(self, *a, buildings=(), **kw):
        super().__init__(*a, **kw)
        self.building_ids.choices = [(b.id, f"{b.number}栋") for b in buildings]

    def validate_kind(self, field):
        if field.data not in NOTICE_KIND_LABELS:
            raise ValidationError("请选择公告类型。")

    def validate_valid_until(self, field):
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError("结束日期不能早于开始日期。")


class NoticeEditForm(NoticeForm):
    """Correcting a notice: the same fields, plus the version of the notice the form was opened
    on (services.version), so an edit never silently undoes someone else's."""

    based_on = HiddenField()


class WithdrawForm(Form):
    reason = StringField("撤回原因", validators=[DataRequired("请填写撤回原因。"),
                                             Length(max=200, message="撤回原因最多200字。")],
                         render_kw={"placeholder": "如：已提前恢复供水"})

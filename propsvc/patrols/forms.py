"""Forms of the patrol run on the phone (the recheck step of a rectification ticket is a
ticket step: tickets.forms.RecheckForm) [D3]."""
from datetime import datetime, timezone

from flask_wtf.file import FileAllowed, FileField
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..core.forms import IMAGE_EXTS, Form, IdField, record_id
from .models import RESULT_LABELS, TargetType
from .services import AREA_MAX, DEVICE_MAX, MSG_SEQ, NOTE_MAX

TARGET_LABELS = {TargetType.BUILDING: "楼栋", TargetType.UNIT: "房屋", TargetType.AREA: "区域"}


class StartForm(Form):
    plan_id = IdField()
    template_id = SelectField("巡查表", coerce=record_id, default=0)
    target_type = RadioField("巡查对象", choices=list(TARGET_LABELS.items()), default=TargetType.BUILDING)
    building_id = SelectField("楼栋", coerce=record_id, default=0)
    unit_q = StringField("房屋", validators=[Optional(), Length(max=40)],
                         render_kw={"placeholder": "房号 3-2-1201 / 业主姓名", "autocomplete": "off"})
    unit_id = IdField(invalid="请从列表中选择房屋。")
    area = StringField("区域", validators=[Optional(), Length(max=AREA_MAX, message=f"区域名称最多{AREA_MAX}字")],
                       render_kw={"placeholder": "如：北门车库、中心花园、3栋地下室"})


def parse_tap_time(value: str | None) -> datetime | None:
    """The phone's time of the tap → aware UTC: milliseconds since the epoch (what patrol.js
    sends, 13 bytes on the wire) or ISO 8601 with a zone (2026-05-04T01:23:45.678Z);
    empty → None (the server's time); malformed → ValueError."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if value.isascii() and value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
        if value.endswith(("Z", "z")):
            value = value[:-1] + "+00:00"
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError("no zone")
        return at.astimezone(timezone.utc)
    except (OverflowError, OSError):  # beyond the years a datetime holds (year 1 at +08:00, 10^20 ms)
        raise ValueError("out of range") from None


class TapForm(Form):
    """One tap. The CSRF token comes as the X-CSRFToken header (script) or a field (no script)."""
    result = RadioField(choices=list(RESULT_LABELS.items()), validators=[InputRequired("请选择：正常、有问题或不适用。")])
    key = StringField(validators=[DataRequired("缺少提交标识，请刷新页面后重试。"), Length(max=64)])
    tapped_at = StringField(validators=[Optional(), Length(max=40)])
    # The phone's order of its taps (patrol.js): its device id and that device's tap counter.
    device = StringField(validators=[Optional(), Length(max=DEVICE_MAX, message=MSG_SEQ)])
    seq = StringField(validators=[Optional(), Length(max=16, message=MSG_SEQ)])
    note = TextAreaField("问题说明", validators=[Optional(), Length(max=NOTE_MAX, message=f"问题说明最多{NOTE_MAX}字")])
    photo = FileField("照片", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])

    def validate_tapped_at(self, field):
        try:
            field.parsed = parse_tap_time(field.data)
        except ValueError:
            raise ValidationError("点击时间格式不正确。") from None

    def validate_seq(self, field):
        value = (field.data or "").strip()
        if value and not (value.isascii() and value.isdigit()):
            raise ValidationError(MSG_SEQ)

    @property
    def seq_number(self) -> int | None:
        value = (self.seq.data or "").strip()
        return int(value) if value else None

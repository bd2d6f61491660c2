"""Forms of the reveal and of cover (代班)."""
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..core import limits
from ..core.forms import After, ChineseDateField, Form, Required, Within, record_id
from ..registry.forms import strip_text


class RevealForm(Form):
    """The reason is checked by the service (one message for the page and the fragment)."""

    reason = StringField("查看原因", filters=[strip_text])
    next = HiddenField()


class CoverForm(Form):
    user_id = SelectField("代班管家", coerce=record_id, validators=[InputRequired("请选择代班的管家。")])
    for_user_id = SelectField("被代班管家（其楼栋）", coerce=record_id, validators=[InputRequired("请选择被代班的管家。")])
    starts_on = ChineseDateField("开始日期", validators=[Required("请填写开始日期。"), Within(limits.COVER_STARTS)])
    ends_on = ChineseDateField("结束日期（含当天）", validators=[
        Required("请填写结束日期。"),
        After("starts_on", limits.days(limits.COVER_MAX_DAYS - 1), f"结束日期不能早于开始日期，一次代班最长{limits.COVER_MAX_DAYS}天。",
              same_day=True)])
    note = StringField("说明（如：休假）", filters=[strip_text], validators=[Optional(), Length(max=200, message="说明最多200个字。")])


class EndCoverForm(Form):
    pass

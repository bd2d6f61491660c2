"""Forms of the reveal and of cover (代班)."""
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..registry.forms import strip_text


class RevealForm(FlaskForm):
    """The reason is checked by the service (one message for the page and the fragment)."""

    reason = StringField("查看原因", filters=[strip_text])
    next = HiddenField()


class CoverForm(FlaskForm):
    user_id = SelectField("代班管家", coerce=int, validators=[InputRequired("请选择代班的管家。")])
    for_user_id = SelectField("被代班管家（其楼栋）", coerce=int, validators=[InputRequired("请选择被代班的管家。")])
    starts_on = DateField("开始日期", validators=[InputRequired("请填写开始日期。")])
    ends_on = DateField("结束日期（含当天）", validators=[InputRequired("请填写结束日期。")])
    note = StringField("说明（如：休假）", filters=[strip_text], validators=[Optional(), Length(max=200, message="说明最多200个字。")])


class EndCoverForm(FlaskForm):
    pass

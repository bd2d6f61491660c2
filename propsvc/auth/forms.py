from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..core.forms import Form, record_id


class LoginForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=32)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


class PinForm(Form):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=32)])
    pin = PasswordField("PIN", validators=[DataRequired("请输入PIN"), Regexp(r"^\d{4,6}$", message="PIN 为4到6位数字")])


class KioskRegisterForm(Form):
    name = StringField("终端名称", validators=[DataRequired("请输入终端名称，如：前台1号机"), Length(max=64)])


class CommunityForm(Form):
    community_id = SelectField("小区", coerce=record_id)


class ChangePasswordForm(Form):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"), Length(max=128)])
    password = PasswordField("新密码（至少8位）", validators=[DataRequired("请输入新密码"),
                                                   Length(min=8, max=128, message="密码至少8位")])
    password2 = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码"),
                                                    EqualTo("password", message="两次输入的新密码不一致")])


class ChangePinForm(Form):
    current_password = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"), Length(max=128)])
    pin = PasswordField("新PIN（4到6位数字）", validators=[DataRequired("请输入新PIN"),
                                                   Regexp(r"^\d{4,6}$", message="PIN 为4到6位数字")])


class PlainForm(Form):
    """A button's form: only the CSRF token."""

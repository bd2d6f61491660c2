from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=32)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])


class PinForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=32)])
    pin = PasswordField("PIN", validators=[DataRequired("请输入PIN"), Regexp(r"^\d{4,6}$", message="PIN 为4到6位数字")])


class KioskRegisterForm(FlaskForm):
    name = StringField("终端名称", validators=[DataRequired("请输入终端名称，如：前台1号机"), Length(max=64)])


class CommunityForm(FlaskForm):
    community_id = SelectField("小区", coerce=int)

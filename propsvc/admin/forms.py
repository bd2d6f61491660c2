"""Administration: staff accounts, departments and importing the unit register."""
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..core.forms import Form, MultiCheckboxField as _Checkboxes, record_id
from ..core.roles import ROLE_LABELS, Role


class MultiCheckboxField(_Checkboxes):
    """Checkboxes shown as chips by _macros.field, which goes by this class name."""


class ImportForm(Form):
    file = FileField("房屋清单文件（CSV 或 XLSX）", validators=[
        FileRequired("请选择要导入的文件"),
        FileAllowed(["csv", "xlsx"], "只能上传 CSV 或 XLSX（Excel）文件"),
    ])


class UserForm(Form):
    """An account's details; NewUserForm adds the user name and the first password."""

    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=32, message="姓名最多32字")])
    phone = StringField("手机号（选填）", validators=[Optional(), Regexp(r"^1\d{10}$", message="请填写11位手机号")])
    roles = MultiCheckboxField("角色", choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    department_id = SelectField("部门", coerce=record_id, default=0)
    community_ids = MultiCheckboxField("小区", coerce=record_id, choices=[])
    building_ids = MultiCheckboxField("负责楼栋（客服管家）", coerce=record_id, choices=[])


class NewUserForm(UserForm):
    username = StringField("用户名（登录用，小写字母或数字）", validators=[
        DataRequired("请填写用户名"),
        Regexp(r"^[A-Za-z0-9_.-]{2,32}$", message="用户名为2到32位字母、数字或 _ . -")])
    password = PasswordField("初始密码（至少8位）", validators=[
        DataRequired("请填写初始密码"), Length(min=8, max=128, message="密码至少8位")])
    pin = PasswordField("前台终端PIN（选填，4到6位数字）", validators=[
        Optional(), Regexp(r"^\d{4,6}$", message="PIN 为4到6位数字")])


class ResetPasswordForm(Form):
    password = PasswordField("新密码（至少8位）", validators=[
        DataRequired("请填写新密码"), Length(min=8, max=128, message="密码至少8位")])


class ResetPinForm(Form):
    pin = PasswordField("新PIN（4到6位数字）", validators=[
        DataRequired("请填写新PIN"), Regexp(r"^\d{4,6}$", message="PIN 为4到6位数字")])


class DepartmentForm(Form):
    name = StringField("部门名称", validators=[DataRequired("请填写部门名称"), Length(max=32, message="最多32字")])
    code = StringField("部门代码（英文，如 greening）", validators=[DataRequired("请填写部门代码"), Length(max=32)])


class PlainForm(Form):
    """A button's form: only the CSRF token."""


class SealForm(Form):
    """The community's seal text and the signature line beside it (admin.seal)."""

    stamp_name = StringField("印章文字", validators=[DataRequired("请填写印章上的文字"),
                                                  Length(max=64, message="印章文字最多 64 个字")])
    sign_label = StringField("签章行文字（选填）", validators=[Optional(),
                                                      Length(max=64, message="签章行文字最多 64 个字")])

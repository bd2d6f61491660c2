"""Forms of the worker passes: registering a worker, the fees, returning the pass, the gate."""

from flask_wtf.file import FileField
from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..registry.forms import valid_id_number, valid_phone
from ..core import limits
from ..core.forms import ChineseDateField, Form, Within
from .pass_services import APPLICANT_ROLES

TRADES = ("水电", "泥瓦", "木工", "油漆", "防水", "安装", "杂工")


def _photo_present(form, field):
    if not getattr(field.data, "filename", ""):
        raise ValidationError("请拍摄或选择工人的一寸照片。")


class WorkerForm(Form):
    applicant_name = StringField("办证人姓名", validators=[
        DataRequired("请填写办证人姓名"), Length(max=64, message="姓名最多64字")])
    applicant_role = RadioField("办证人身份", choices=list(APPLICANT_ROLES.items()), default="lead",
                                validators=[InputRequired("请选择办证人身份")])
    name = StringField("工人姓名", validators=[DataRequired("请填写工人姓名"), Length(max=64, message="姓名最多64字")])
    id_number = StringField("身份证号", validators=[DataRequired("请填写身份证号"), valid_id_number],
                            render_kw={"autocomplete": "off", "maxlength": 18})
    phone = StringField("手机号", validators=[DataRequired("请填写手机号"), valid_phone],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    trade = StringField("工种", validators=[Optional(), Length(max=32, message="工种最多32字")],
                        render_kw={"list": "trades", "placeholder": "如：水电、木工、油漆"})
    photo = FileField("一寸照片", validators=[_photo_present])
    valid_until = ChineseDateField("有效期至", validators=[Optional(), Within(limits.PASS_VALID_UNTIL)])


class PayForm(Form):
    receipt_no = StringField("收据号", validators=[DataRequired("请填写收据号"), Length(max=32, message="收据号最多32位")],
                             render_kw={"autocomplete": "off"})


class ReturnForm(Form):
    refund_receipt_no = StringField("退押金收据号", validators=[
        DataRequired("请填写退押金收据号"), Length(max=32, message="收据号最多32位")],
        render_kw={"autocomplete": "off"})


class WorkerNameForm(Form):
    """The front desk corrects a worker's name; a pass in force is reissued with it."""
    name = StringField("更正后的姓名", validators=[DataRequired("请填写更正后的姓名。"),
                                             Length(max=64, message="姓名最多64字")],
                       render_kw={"autocomplete": "off", "maxlength": 64})

"""Forms of the handover area [H1]-[H4]. Labels and messages in Chinese; the rules that need the
batch or the card (identity, phones, stations) are in services.py."""
from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import FieldList, FormField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..core.forms import (IMAGE_EXTS, ChineseDecimalField, ChineseIntegerField, Form, MultiCheckboxField, SubForm,
                          parse_id)
from ..core.timefmt import parse_iso_day
from ..registry.forms import strip_text, valid_id_number, valid_phone
from .services import DEFECT_CATEGORIES, ID_TYPES, MEMBER_RELATIONS, RELATIONS


def _days(form, field):
    days = []
    parts = [p.strip() for p in (field.data or "").replace("，", ",").replace("、", ",").split(",")]
    for n, part in enumerate((p for p in parts if p), 1):
        d = parse_iso_day(part)
        if d is None:  # the position, not the text typed: the message stays Chinese whatever was typed
            raise ValidationError(f"第{n}个日期无效，请写成 2026-12-10，多个日期用逗号分隔。")
        days.append(d)
    if not days:
        raise ValidationError("请至少填写一个交房日。")
    form.day_list = days


def _finite(form, field):
    """A number that is a number: NaN and Infinity refused (they would break the range checks)."""
    if field.data is not None and not field.data.is_finite():
        raise ValidationError("请填写数字。")
    if field.data is not None and not 0 <= field.data <= 10_000_000:
        raise ValidationError("数值须在 0 至 10000000 之间。")


def _lines(value):
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class BatchForm(Form):
    name = StringField("批次名称", filters=[strip_text], validators=[
        DataRequired("请填写批次名称。"), Length(max=64, message="名称最多64字。")],
        render_kw={"placeholder": "如：一期 1-3 栋集中交付"})
    building_ids = MultiCheckboxField("交付楼栋", coerce=parse_id, validators=[DataRequired("请选择交付楼栋。")])
    days = StringField("交房日（多个用逗号分隔）", validators=[_days], render_kw={"placeholder": "2026-12-10, 2026-12-11"})
    opens = SelectField("开始时间", default="08:30",
                        choices=[(f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}") for h in range(6, 22) for m in (0, 30)])
    closes = SelectField("结束时间", default="17:30",
                         choices=[(f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}") for h in range(6, 23) for m in (0, 30)])
    stations = TextAreaField("工作组（每行一个，按业主经过的顺序；值班人员写在冒号后，如 收费处：周财务）", validators=[Optional(), Length(max=500)],
                             default="协议签订处\n收费处\n钥匙发放处\n物品发放处\n验房处")
    items = TextAreaField("发放资料（每行一项）", validators=[Optional(), Length(max=500)],
                          default="业主服务手册\n商品住宅质量保证书\n商品住宅使用说明书\n温馨问答")

    day_list: list = []

    def station_names(self):
        return _lines(self.stations.data)

    def item_names(self):
        return _lines(self.items.data)


class StationsForm(Form):
    stations = TextAreaField("工作组（每行一个，按顺序；值班人员写在冒号后，如 收费处：周财务、黄前台）", validators=[DataRequired("请至少保留一个工作组。"), Length(max=500)])


class ImportForm(Form):
    file = FileField("售房部交房名单（CSV 或 XLSX）", validators=[
        FileRequired("请选择要导入的文件。"), FileAllowed(["csv", "xlsx"], "只能上传 CSV 或 XLSX（Excel）文件。")])


class ArrivalForm(Form):
    slip_no = HiddenField()
    came_as = RadioField("到场人", choices=[("owner", "业主本人"), ("agent", "代办人（持委托书）")], default="owner",
                         validators=[InputRequired("请选择到场人。")])
    id_number = StringField("到场人身份证号", validators=[DataRequired("请填写到场人的身份证号。"), valid_id_number],
                            render_kw={"autocomplete": "off", "maxlength": 18, "inputmode": "text"})
    owner_name = SelectField("出具委托书的业主", choices=[], validate_choice=False, validators=[Optional()])
    agent_name = StringField("代办人姓名", filters=[strip_text], validators=[Optional(), Length(max=64, message="姓名最多64字。")],
                             render_kw={"autocomplete": "off"})
    agent_relation = SelectField("与业主的关系", choices=[("", "请选择")] + [(r, r) for r in RELATIONS],
                                 validators=[Optional()])
    poa_photo = FileField("委托书照片（业主签字）", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])


class MemberForm(SubForm):
    name = StringField("姓名", filters=[strip_text], validators=[Optional(), Length(max=64, message="姓名最多64字。")])
    relation = SelectField("关系", choices=[("", "请选择")] + [(r, r) for r in MEMBER_RELATIONS], validators=[Optional()])
    id_type = SelectField("证件类型", choices=list(ID_TYPES.items()), default="id_card", validators=[Optional()])
    id_number = StringField("证件号码", validators=[Optional(), Length(max=18, message="证件号码最多18位。")],
                            render_kw={"autocomplete": "off"})
    photo = FileField("照片", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])


class OwnerFileForm(Form):
    phone1 = StringField("联系电话1", validators=[DataRequired("请至少留两个联系电话。"), valid_phone],
                         render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    phone2 = StringField("联系电话2", validators=[Optional(), valid_phone],
                         render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    phone3 = StringField("联系电话3（可选）", validators=[Optional(), valid_phone],
                         render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    members = FieldList(FormField(MemberForm), label="家庭常住人员", min_entries=3, max_entries=6)
    vehicles = StringField("车辆（车牌号，可选，多辆用顿号分隔）", filters=[strip_text],
                           validators=[Optional(), Length(max=60, message="最多60字。")], render_kw={"autocomplete": "off"})
    emergency_name = StringField("紧急联系人", filters=[strip_text], validators=[
        DataRequired("请填写紧急联系人。"), Length(max=64, message="姓名最多64字。")])
    emergency_phone = StringField("紧急联系人电话", validators=[DataRequired("请填写紧急联系人电话。"), valid_phone],
                                  render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    signature = HiddenField("业主签名")


class StationForm(Form):
    """Marking a station done; the fields shown depend on the station (fees, keys, items)."""

    due = ChineseDecimalField("应缴金额（元）", places=2, validators=[Optional(), _finite])
    paid = ChineseDecimalField("已缴金额（元）", places=2, validators=[Optional(), _finite])
    receipt = StringField("收据号", validators=[Optional(), Length(max=32, message="收据号最多32位。")])
    door_keys = ChineseIntegerField("入户门钥匙（把）", validators=[Optional(), NumberRange(0, 20, "钥匙数量须在 0 至 20 把之间。")])
    mailbox_keys = ChineseIntegerField("信报箱钥匙（把）", validators=[Optional(), NumberRange(0, 20, "钥匙数量须在 0 至 20 把之间。")])
    water = ChineseDecimalField("水表读数", places=2, validators=[Optional(), _finite])
    electricity = ChineseDecimalField("电表读数", places=2, validators=[Optional(), _finite])
    gas = ChineseDecimalField("燃气表读数", places=2, validators=[Optional(), _finite])
    water_photo = FileField("水表照片", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])
    electricity_photo = FileField("电表照片", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])
    gas_photo = FileField("燃气表照片", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])
    wechat_steward = StringField("已添加管家微信（管家姓名）", filters=[strip_text],
                                 validators=[Optional(), Length(max=64, message="最多64字。")])
    signature = HiddenField("业主签名")


class RefuseForm(Form):
    reason = TextAreaField("拒收原因", filters=[strip_text], validators=[
        DataRequired("请填写拒收原因。"), Length(max=500, message="原因最多500字。")])


class ConfirmForm(Form):
    """A step with nothing to fill in (交房完成)."""


class DefectForm(Form):
    room = SelectField("房间", choices=[], validate_choice=False, validators=[DataRequired("请选择房间。")])
    item = SelectField("检查项目", choices=[], validate_choice=False, validators=[DataRequired("请选择检查项目。")])
    category = SelectField("问题类别", choices=[("", "请选择")] + [(c, c) for c in DEFECT_CATEGORIES],
                           validators=[DataRequired("请选择问题类别。")])
    location = StringField("具体位置", filters=[strip_text], validators=[
        DataRequired("请填写问题的具体位置。"), Length(max=100, message="位置最多100字。")],
        render_kw={"placeholder": "如：主卧北墙距地1米处"})
    note = StringField("说明", filters=[strip_text], validators=[Optional(), Length(max=500, message="说明最多500字。")])
    photos = MultipleFileField("照片（至少一张）", validators=[FileAllowed(IMAGE_EXTS, "只能上传图片。")])


class InspectionSignForm(Form):
    signature = HiddenField("业主签名")

"""Forms of the errands area [F1]. Labels and messages in Chinese."""

from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..registry.forms import strip_text, valid_phone
from ..core.forms import ChineseDateTimeField, ChineseDecimalField, ChineseIntegerField, Form, IdField, Required
from .services import CARD_KINDS, COURIERS, MAIL_KINDS, NOTICE_METHODS, normalize_tracking


def _tracking(form, field):
    if field.data:
        field.data = normalize_tracking(field.data)
        if not field.data.isalnum() or not 4 <= len(field.data) <= 40:
            raise ValidationError("快递单号为4至40位字母或数字（可只填后4位）。")


class UnitForm(Form):
    """The unit look-up shared by the three intake forms."""

    unit_q = StringField("房屋", validators=[Optional(), Length(max=40)],
                         render_kw={"placeholder": "房号 3-2-1201 / 业主姓名 / 手机尾号", "autocomplete": "off"})
    unit_id = IdField(validators=[Required("请先查找并选择房屋。")], invalid="请从列表中选择房屋。")
    person_id = IdField("住户", invalid="请从列表中选择住户。")


class ParcelForm(UnitForm):
    recipient_name = StringField("收件人姓名", filters=[strip_text], validators=[
        Optional(), Length(max=64, message="姓名最多64字。")],
        render_kw={"autocomplete": "off", "placeholder": "选了住户可不填"})
    recipient_phone = StringField("收件人电话", validators=[Optional(), valid_phone],
                                  render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    courier = SelectField("快递公司", choices=[("", "请选择")] + [(c, c) for c in COURIERS],
                          validators=[DataRequired("请选择快递公司。")])
    tracking_no = StringField("快递单号（可只填后4位）", validators=[Optional(), _tracking],
                              render_kw={"autocomplete": "off", "maxlength": 40, "autocapitalize": "characters"})
    shelf = StringField("货架/格口", filters=[strip_text], validators=[
        DataRequired("请填写货架/格口号。"), Length(max=16, message="格口号最多16字。")],
        render_kw={"placeholder": "如 A-03", "autocomplete": "off", "autocapitalize": "characters"})
    arrived_at = ChineseDateTimeField("到件时间（不填为现在）", format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                      validators=[Optional()])  # now … limits.ARRIVAL_BACK: the service
    note = StringField("备注", filters=[strip_text], validators=[Optional(), Length(max=200, message="备注最多200字。")],
                       render_kw={"placeholder": "如：大件、生鲜、到付"})


class MailForm(UnitForm):
    recipient_name = StringField("收件人姓名", filters=[strip_text], validators=[
        Optional(), Length(max=64, message="姓名最多64字。")],
        render_kw={"autocomplete": "off", "placeholder": "选了住户可不填"})
    recipient_phone = StringField("收件人电话", validators=[Optional(), valid_phone],
                                  render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20})
    kind = RadioField("类别", choices=list(MAIL_KINDS.items()), default="letter",
                      validators=[InputRequired("请选择信件类别。")])
    sender = StringField("寄件单位/人", filters=[strip_text], validators=[Optional(), Length(max=64, message="最多64字。")],
                         render_kw={"placeholder": "如：市税务局、银行"})
    tracking_no = StringField("挂号/邮件号", validators=[_tracking],
                              render_kw={"autocomplete": "off", "maxlength": 40})
    received_at = ChineseDateTimeField("收到时间（不填为现在）", format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                       validators=[Optional()])  # now … limits.ARRIVAL_BACK: the service
    note = StringField("备注", filters=[strip_text], validators=[Optional(), Length(max=200, message="备注最多200字。")])

    def validate_tracking_no(self, field):
        if self.kind.data == "registered" and not field.data:
            raise ValidationError("挂号信请填写挂号号码。")


class CardForm(UnitForm):
    kind = RadioField("办理类型", choices=list(CARD_KINDS.items()), default="issue",
                      validators=[InputRequired("请选择办理类型。")])
    card_no = StringField("卡号（注销时填要注销的卡）", validators=[Optional(), Length(max=32, message="卡号最多32位。")],
                          render_kw={"autocomplete": "off", "maxlength": 32})
    note = StringField("备注", filters=[strip_text], validators=[Optional(), Length(max=200, message="备注最多200字。")],
                       render_kw={"placeholder": "如：原卡丢失、租户搬离"})

    def validate_person_id(self, field):
        if not field.data and not field.process_errors:
            raise ValidationError("请选择办卡的住户。")


class NotifyForm(Form):
    method = RadioField("通知方式", choices=list(NOTICE_METHODS.items()), default="phone",
                        validators=[InputRequired("请选择通知方式。")])
    note = StringField("说明", filters=[strip_text], validators=[Optional(), Length(max=200, message="说明最多200字。")],
                       render_kw={"placeholder": "如：未接通，已发短信"})


class CollectForm(Form):
    who = RadioField("领取人", choices=[("self", "收件人本人"), ("proxy", "他人代领")], default="self",
                     validators=[InputRequired("请选择领取人。")])
    collector_name = StringField("领取人姓名（代领必填）", filters=[strip_text], validators=[
        Length(max=64, message="姓名最多64字。")], render_kw={"autocomplete": "off"})
    note = StringField("说明", filters=[strip_text], validators=[Optional(), Length(max=200, message="说明最多200字。")],
                       render_kw={"placeholder": "代领：与收件人关系、电话尾号"})

    def validate_collector_name(self, field):
        if self.who.data == "proxy" and not field.data:
            raise ValidationError("他人代领时请填写代领人姓名。")


class ForwardForm(Form):
    to_name = StringField("接收人", filters=[strip_text], validators=[
        DataRequired("请填写接收人姓名。"), Length(max=64, message="姓名最多64字。")], render_kw={"autocomplete": "off"})
    note = StringField("说明", filters=[strip_text], validators=[Optional(), Length(max=200, message="说明最多200字。")])


class NoteForm(Form):
    note = StringField("原因/说明", filters=[strip_text], validators=[Optional(), Length(max=200, message="说明最多200字。")])


class FeeForm(Form):
    receipt_no = StringField("收据号", filters=[strip_text], validators=[
        DataRequired("请填写收据号。"), Length(max=32, message="收据号最多32位。")], render_kw={"autocomplete": "off"})


class CompleteForm(Form):
    card_no = StringField("卡号", filters=[strip_text], validators=[
        DataRequired("请填写卡号。"), Length(max=32, message="卡号最多32位。")],
        render_kw={"autocomplete": "off", "maxlength": 32})
    note = StringField("说明", filters=[strip_text], validators=[Optional(), Length(max=200, message="说明最多200字。")])


class SettingsForm(Form):
    card_fee_issue = ChineseDecimalField("新办门禁卡费用（元）", places=2, validators=[
        InputRequired("请填写金额。"), NumberRange(min=0, max=1000, message="金额须在0至1000元之间。")],
        render_kw={"inputmode": "decimal"})
    card_fee_replace = ChineseDecimalField("补办门禁卡费用（元）", places=2, validators=[
        InputRequired("请填写金额。"), NumberRange(min=0, max=1000, message="金额须在0至1000元之间。")],
        render_kw={"inputmode": "decimal"})
    parcel_overdue_days = ChineseIntegerField("快递超期天数", validators=[
        InputRequired("请填写天数。"), NumberRange(min=1, max=60, message="天数须在1至60之间。")],
        render_kw={"inputmode": "numeric"})

"""Which route(s) each form is posted to, by whom, and a valid submission to start from: the one
table of the form fuzzer (tests/test_form_fuzz.py). Every FlaskForm subclass in propsvc needs an
entry (a list of targets, or BASE with the reason it is never posted on its own); a new form
without one fails the suite, so new forms get fuzzed.

A target: the endpoint (its path arguments default to the sample records of tests/fullsite.py;
`args` and `fresh` override them), the role that posts (a demo account; "anon" signed out;
"own:<role>" a new account for this target alone, for forms that change their own account),
the form's prefix on that page, and `valid`: field values (without the prefix) of a submission
the server accepts. Fields not named there take a plain value by field name (DEFAULTS) or type.
A value may be a callable of the fuzz context `c` (c.site, c.pick(name), c.n() a new number).
`fresh` names a factory (test_form_fuzz.FRESH) that makes the record in the state the step
needs, again after every accepted example. `from_page`: hidden fields read from the page the
form is on (its one-time key, a version) before each example, as a browser would send them.
"""
from dataclasses import dataclass, field

from fullsite import PASSWORD, jpeg_bytes
from formfuzz import MISSING, fresh_key, Upload, now_local, today_plus

VALID_ID = "110101199003071233"
PHONE = "13800138000"


def _repair_price_id(c) -> str:
    """The price the "repair" fresh factory (test_form_fuzz._repair) puts on the list."""
    from sqlalchemy import select

    from propsvc.extensions import db
    from propsvc.fees.models import RepairPrice

    with c.app.app_context():
        return str(db.session.scalar(select(RepairPrice.id).where(RepairPrice.community_id == c.site.community_id,
                                                                   RepairPrice.name == "上门维修费")))


@dataclass(frozen=True)
class T:
    endpoint: str
    role: str
    prefix: str = ""
    args: dict = field(default_factory=dict)
    valid: dict = field(default_factory=dict)
    fresh: str | None = None
    from_page: tuple = ("client_key",)   # read from the GET of `page` (default: the endpoint) when present
    page: str | None = None
    edges: dict = field(default_factory=dict)   # extra edge values per field
    refusal_writes: str = ""             # why a refusal may write rows (then not checked)
    ends_session: bool = False           # an accepted example signs the poster out


@dataclass(frozen=True)
class BASE:
    why: str


def assessment_standard(c):
    """The demo community's 整理仪容仪表 standard (marked by hand)."""
    from sqlalchemy import select

    from propsvc.assessment.models import AssessmentStandard
    from propsvc.extensions import db

    with c.app.app_context():
        sid = db.session.scalar(select(AssessmentStandard.id).where(
            AssessmentStandard.community_id == c.site.community_id, AssessmentStandard.code == "appearance"))
        db.session.remove()
    return str(sid)


def assessment_miss(c):
    """A pending miss of the demo steward today (a manual standard marked by the supervisor):
    each example reviews or appeals a miss waiting for it."""
    from sqlalchemy import select

    from propsvc.assessment import services as asv
    from propsvc.assessment.models import AssessmentStandard
    from propsvc.auth.models import User
    from propsvc.core.timefmt import site_today
    from propsvc.extensions import db

    with c.app.app_context():
        std = db.session.scalar(select(AssessmentStandard).where(
            AssessmentStandard.community_id == c.site.community_id, AssessmentStandard.code == "appearance"))
        user = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(("steward", "supervisor"))))}
        r = asv.mark_manual(c.site.community_id, std.id, user["steward"].id, site_today(), user["supervisor"], "未穿工装")
        db.session.commit()
        rid = str(r.id)
        db.session.remove()
    return rid


def unit(c):
    return str(c.site.ids["unit_id"])


def owner(c):
    return str(c.site.ids["person_id"])


DEFAULTS = {
    "unit_id": unit, "unit_q": "", "person_id": owner,
    "building_id": lambda c: str(c.site.extra["building_id"]),
    "category_id": lambda c: str(c.site.ids["category_id"]),
    "template_id": lambda c: str(c.site.ids["template_id"]),
    "steward_id": lambda c: str(c.site.user_ids["steward"]),
    "department_id": lambda c: str(c.pick("department:engineering")),
    "reporter_phone": PHONE, "phone": PHONE, "lead_phone": PHONE, "carrier_phone": PHONE, "recipient_phone": "",
    "id_number": VALID_ID, "lead_id_number": VALID_ID, "carrier_id_number": VALID_ID,
    "text": "已联系业主，约定明天上门。", "description": "卫生间地漏返水", "reason": "业主要求", "note": "",
    "receipt_no": "R2026-001", "name": "测试名称", "password": "new-pass-123", "current_password": PASSWORD,
    "pin": "1357", "username": lambda c: f"fz{c.n()}",
}

CSV = ("楼栋,单元,楼层,房号,面积,状态,业主姓名,身份证号,电话\n"
       "9,1,1,101,88.5,已入住,周测试,110101199003071233,13800138000\n").encode()
CSV_EDGES = [Upload("units.csv", CSV.decode().encode("gbk")), Upload("units.xlsx", b"PK\x03\x04garbage"),
             Upload("units.csv", b"\xff\xfe" + CSV.decode().encode("utf-16-le")),
             Upload("units.csv", CSV.replace(b"88.5", b"1e400").replace(b"101", b"9223372036854775808")),
             Upload("units.csv", CSV.split(b"\n")[0] + b"\n" + b",".join([b"\x00"] * 9) + b"\n"),
             Upload("units.csv", b"\n" * 5000), Upload("units.csv", CSV.replace(b"9,1,1", "𠀀,０,-1".encode()))]

HANDOVER_CSV = ("房屋,买受人,身份证号,电话,合同号,传递单号\n"
                "88-1-101,周测试,110101199003071233,13800138000,HT-1,JF-FZ1\n").encode()


def _signature_url() -> str:
    import base64
    import io

    from PIL import Image, ImageDraw

    im = Image.new("RGBA", (320, 140), (0, 0, 0, 0))
    ImageDraw.Draw(im).line([(20, 100), (80, 30), (140, 110), (290, 90)], fill=(0, 0, 0, 255), width=3)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


SIGNATURE_URL = _signature_url()

TICKET_STEP = "tickets.step"


def step(name: str, role: str, valid: dict | None = None, fresh: str | None = None, form_prefix: str | None = None):
    """A step of the ticket page (its one-time key read from the ticket's page)."""
    return T(TICKET_STEP, role, prefix=form_prefix or name, args={"step": name}, valid=valid or {}, fresh=fresh,
             page="tickets.show")


FORMS: dict[str, list[T] | BASE] = {
    "propsvc.core.forms.Form": BASE("the base of every form (Chinese messages); the one-time key is rendered by form_key()"),
    "propsvc.errands.forms.UnitForm": BASE("the unit look-up shared by the parcel, mail and card forms"),
    # --- sign-in and own account ---------------------------------------------------------------------
    "propsvc.auth.forms.LoginForm": [T("auth.login", "anon", valid={"username": "fuzzdesk", "password": PASSWORD},
                                       refusal_writes="a failed sign-in is counted towards the lockout")],
    "propsvc.auth.forms.PinForm": [T("auth.kiosk", "kiosk", valid={"username": "fuzzdesk", "pin": "2468"},
                                     refusal_writes="a failed PIN is counted towards the lockout")],
    "propsvc.auth.forms.KioskRegisterForm": [T("auth.kiosk_register", "own:supervisor", valid={"name": "前台2号机"},
                                               ends_session=True)],
    "propsvc.auth.forms.CommunityForm": [T("auth.switch_community", "steward",
                                           valid={"community_id": lambda c: str(c.site.community_id)})],
    "propsvc.auth.forms.ChangePasswordForm": [T("auth.account_password", "own:steward", prefix="pw", page="auth.account",
                                                valid={"password2": "new-pass-123"},
                                                refusal_writes="a wrong current password is counted towards the lockout")],
    "propsvc.auth.forms.ChangePinForm": [T("auth.account_pin", "own:front_desk", prefix="pin", page="auth.account",
                                           refusal_writes="a wrong current password is counted towards the lockout")],
    "propsvc.auth.forms.PlainForm": [T("auth.account_end_session", "steward")],
    # --- administration ---------------------------------------------------------------------------
    "propsvc.admin.forms.ImportForm": [T("admin.import_units", "admin", valid={"file": Upload("units.csv", CSV)},
                                         edges={"file": CSV_EDGES})],
    "propsvc.admin.forms.UserForm": [T("admin.user_edit", "manager", valid={
        "name": "备用员工", "roles": ["steward"], "department_id": lambda c: str(c.pick("department:service")),
        "community_ids": lambda c: [str(c.site.community_id)], "building_ids": MISSING, "phone": ""})],
    "propsvc.admin.forms.NewUserForm": [T("admin.user_new", "manager", valid={
        "name": "新员工", "roles": ["steward"], "department_id": lambda c: str(c.pick("department:service")),
        "community_ids": lambda c: [str(c.site.community_id)], "building_ids": MISSING, "phone": "", "pin": ""})],
    "propsvc.admin.forms.ResetPasswordForm": [T("admin.user_reset_password", "manager", prefix="pw",
                                                page="admin.user_edit")],
    "propsvc.admin.forms.ResetPinForm": [T("admin.user_reset_pin", "manager", prefix="pin", page="admin.user_edit")],
    "propsvc.admin.forms.DepartmentForm": [T("admin.departments", "manager", valid={
        "name": lambda c: f"绿化{c.n()}部", "code": lambda c: f"green{c.n()}"})],
    "propsvc.admin.forms.SealForm": [T("admin.seal", "manager", valid={
        "stamp_name": "新澳花园北区物业服务中心", "sign_label": "新澳花园北区物业服务中心（盖章）"})],
    "propsvc.admin.forms.PlainForm": [T("admin.user_deactivate", "manager"), T("admin.user_activate", "manager"),
                                      T("admin.user_end_sessions", "manager")],
    # --- personal data ----------------------------------------------------------------------------
    "propsvc.privacy.forms.RevealForm": [T("privacy.reveal", "supervisor", valid={"reason": "联系业主上门", "next": ""})],
    "propsvc.privacy.forms.CoverForm": [T("privacy.cover_new", "supervisor", page="privacy.covers", valid={
        "user_id": lambda c: str(c.site.user_ids["steward2"]), "for_user_id": lambda c: str(c.site.user_ids["steward"]),
        "starts_on": lambda c: today_plus(2), "ends_on": lambda c: today_plus(3)})],
    "propsvc.privacy.forms.EndCoverForm": [T("privacy.cover_end", "supervisor")],
    # --- tickets ----------------------------------------------------------------------------------
    "propsvc.tickets.forms.TicketForm": [
        T("tickets.new", "front_desk", valid={"kind": "repair", "channel": "phone", "urgency": "normal",
                                              "building_id": "0", "reply_due": ""}),
        T("tickets.check_field", "front_desk", args={"name": "description"}, page="tickets.new",
          valid={"kind": "repair", "channel": "phone", "urgency": "normal", "building_id": "0", "reply_due": ""})],
    "propsvc.tickets.forms.AttachForm": [
        T("tickets.attach", "front_desk", page="tickets.new", from_page=(),
          valid={"ticket_id": lambda c: str(c.pick("ticket:open")), "reporter_name": "邻居", "channel": "phone",
                 "reporter_phone": PHONE, "client_key": lambda c: c.key()})],
    "propsvc.tickets.forms.CallerForm": [
        T("tickets.outage_call", "front_desk", page="tickets.new", from_page=(),
          valid={"reporter_name": "邻居", "channel": "phone", "reporter_phone": PHONE,
                 "client_key": lambda c: c.key()})],
    "propsvc.tickets.forms.DispatchForm": [step("dispatch", "supervisor", fresh="ticket:new", valid={
        "department_id": lambda c: str(c.pick("department:engineering")), "assignee_id": "0", "task": "上门检查"})],
    "propsvc.tickets.forms.NoteForm": [step("note", "supervisor", fresh="ticket:progress", valid={"public": "y"})],
    "propsvc.tickets.forms.DelayForm": [step("delay", "supervisor", fresh="ticket:progress", valid={
        "expected_at": lambda c: now_local(days=2), "owner_told": "y"})],
    "propsvc.tickets.forms.PauseForm": [step("pause", "supervisor", fresh="ticket:progress", valid={
        "until": lambda c: now_local(days=1)})],
    "propsvc.tickets.forms.MemoForm": [step("escalate", "supervisor", fresh="ticket:progress")],
    "propsvc.tickets.forms.ResolveForm": [step("resolve", "supervisor", fresh="ticket:progress")],
    "propsvc.tickets.forms.ConfirmForm": [step("confirm", "steward", fresh="ticket:resolved")],
    "propsvc.tickets.forms.VisitForm": [step("visit", "steward", fresh="ticket:resolved",
                                             valid={"satisfaction": "5", "outcome": "fixed"})],
    "propsvc.tickets.forms.AnswerForm": [step("answer", "front_desk", fresh="ticket:inquiry")],
    "propsvc.tickets.forms.PromiseForm": [step("promise", "front_desk", fresh="ticket:inquiry", valid={
        "reply_due": lambda c: now_local(days=1)})],
    "propsvc.tickets.forms.ContactForm": [step("contact", "front_desk", fresh="ticket:progress",
                                               valid={"method": "phone"})],
    "propsvc.tickets.forms.CloseForm": [step("close", "supervisor", fresh="ticket:new", valid={"text": "重复工单"})],
    "propsvc.tickets.forms.RecheckForm": [step("recheck", "steward", fresh="ticket:patrol", valid={
        "outcome": "fixed", "text": "已整改", "photos": [Upload("after.jpg", jpeg_bytes(5))]})],
    # --- ticket settings --------------------------------------------------------------------------
    "propsvc.tickets.settings_forms.CategoryForm": [
        T("tickets.settings_category_add", "supervisor", prefix="newcat", page="tickets.settings", valid={
            "name": lambda c: f"类别{c.n()}", "department_id": "0", "assign_mode": "supervisor", "active": "y"}),
        T("tickets.settings_category", "supervisor", prefix="cat{category_id}", page="tickets.settings", valid={
            "name": "水电气维修", "department_id": "0", "assign_mode": "supervisor", "active": "y"})],
    "propsvc.tickets.settings_forms.SlaForm": [T("tickets.settings_sla", "supervisor", prefix="sla_normal",
                                                 args={"urgency": "normal"}, page="tickets.settings",
                                                 valid={"respond": "2h", "resolve": "1d", "clock": "working"})],
    "propsvc.tickets.settings_forms.HoursForm": [T("tickets.settings_hours", "supervisor", prefix="hours",
                                                   page="tickets.settings", valid={
                                                       "periods": "08:30-12:00,14:00-18:00",
                                                       "weekdays": ["0", "1", "2", "3", "4"]})],
    "propsvc.tickets.settings_forms.HolidayForm": [T("tickets.settings_holiday_add", "supervisor", prefix="holiday",
                                                     page="tickets.settings", valid={
                                                         "day": lambda c: today_plus(30 + c.n() % 600),
                                                         "name": "节日", "workday": "0"})],
    "propsvc.tickets.settings_forms.OutageForm": [T("tickets.settings_outage_add", "supervisor", prefix="outage",
                                                    page="tickets.settings", valid={
                                                        "what": "停水", "all_buildings": "y", "building_ids": MISSING,
                                                        "starts_at": lambda c: now_local(hours=1),
                                                        "ends_at": lambda c: now_local(hours=5),
                                                        "script": "市政维修，预计下午恢复。"})],
    # --- patrols ----------------------------------------------------------------------------------
    "propsvc.patrols.forms.StartForm": [T("patrols.start", "steward", valid={
        "plan_id": "", "target_type": "building", "unit_id": "", "area": ""})],
    "propsvc.patrols.forms.TapForm": [T("patrols.tap", "steward", page="patrols.run", from_page=(), valid={
        "result": "ok", "key": lambda c: fresh_key(), "tapped_at": "", "device": "fuzz-phone-1",
        "seq": lambda c: str(c.n()), "photo": MISSING})],
    "propsvc.patrols.checkpoints.CheckpointForm": [T("patrols.checkpoints", "supervisor",
                                                     valid={"name": "测试巡查点", "building_id": "0"})],
    "propsvc.patrols.admin_forms.TemplateAddForm": [T("patrols.admin_template_add", "supervisor", prefix="newtpl",
                                                      page="patrols.admin", valid={"kind": "building", "name": "测试检查表"})],
    "propsvc.patrols.admin_forms.TemplateEditForm": [T("patrols.admin_template_edit", "supervisor",
                                                       prefix="tpl{template_id}", page="patrols.admin",
                                                       valid={"name": "楼栋巡查", "active": "y"})],
    "propsvc.patrols.admin_forms.ItemForm": [
        T("patrols.admin_item_add", "supervisor", prefix="new{template_id}", page="patrols.admin",
          valid={"text": "楼道灯是否正常", "photo_required": "y"}),
        T("patrols.admin_item_edit", "supervisor", prefix="item{item_id}", page="patrols.admin",
          valid={"text": lambda c: f"楼道灯是否正常（{c.n()}）", "photo_required": "y"})],
    "propsvc.patrols.admin_forms.CoverageForm": [T("patrols.admin_coverage", "supervisor", prefix="cov",
                                                   page="patrols.admin",
                                                   valid={"buildings_per_day": "2", "vacant_every_days": "7"})],
    "propsvc.patrols.admin_forms.PlanForm": [
        T("patrols.plan_add", "supervisor", prefix="newplan", page="patrols.plans", valid={
            "target_type": "building", "unit_code": "", "area": "", "weekdays": ["0", "2", "4"],
            "window_start": "09:00", "window_end": "11:00"}),
        T("patrols.plan_edit", "supervisor", prefix="plan{plan_id}", page="patrols.plans", valid={
            "target_type": "building", "unit_code": "", "area": "", "weekdays": ["0", "2", "4"],
            "window_start": "09:00", "window_end": "11:00"})],
    # --- renovation and passes --------------------------------------------------------------------
    "propsvc.renovation.forms.ApplicationForm": [T("renovation.new", "front_desk", valid={
        "unit_id": lambda c: str(c.pick("unit:no_renovation")), "applicant_role": "owner",
        "applicant_name": lambda c: c.pick("owner_name:no_renovation"), "lead_company": "", "lead_name": "李工",
        "scope": "墙面刷漆", "starts_on": lambda c: today_plus(7), "ends_on": "", "photos": MISSING})],
    "propsvc.renovation.forms.NoteForm": [
        T("renovation.approve", "manager", prefix="approve", page="renovation.show",
          fresh="renovation:applied"),
        T("renovation.finish", "supervisor", prefix="finish", page="renovation.show", fresh="renovation:approved")],
    "propsvc.renovation.forms.ReasonForm": [T("renovation.reject", "manager", prefix="reject", page="renovation.show",
                                              fresh="renovation:applied")],
    "propsvc.renovation.forms.ExtensionForm": [T("renovation.extend", "supervisor", prefix="extend",
                                                 page="renovation.show",
                                                 fresh="renovation:approved",
                                                 valid={"requester_role": "lead", "requester_name": "李工",
                                                        "new_end": lambda c: today_plus(200), "fee": "0"})],
    "propsvc.renovation.forms.DecisionForm": [
        T("renovation.extension_review", "supervisor", prefix="review", page="renovation.show",
          fresh="extension:requested", valid={"decision": "agree"}),
        T("renovation.extension_approve", "manager", prefix="decide", page="renovation.show",
          fresh="extension:reviewed", valid={"decision": "agree"})],
    "propsvc.renovation.forms.FeeForm": [T("renovation.extension_fee", "finance", prefix="fee", page="renovation.show",
                                           fresh="extension:fee")],
    "propsvc.renovation.forms.SettingsForm": [T("renovation.settings_save", "manager", page="renovation.settings",
                                                valid={"deposit": "100", "card_fee": "5", "default_months": "3"})],
    "propsvc.renovation.forms.InspectionForm": [T("renovation.inspect", "steward", valid={
        "rules_told": "y", "neighbours_told": "y"}, fresh="renovation:approved")],
    "propsvc.renovation.pass_forms.WorkerForm": [T("renovation.worker_new", "front_desk", valid={
        "applicant_name": "李工", "applicant_role": "lead", "name": "张工人",
        "trade": "水电", "photo": Upload("face.jpg", jpeg_bytes(6, (60, 80))), "valid_until": ""},
        fresh="renovation:approved")],
    "propsvc.renovation.pass_forms.PayForm": [T("renovation.worker_pay", "finance", page="renovation.worker_list",
                                                fresh="worker:unpaid")],
    "propsvc.renovation.pass_forms.ReturnForm": [T("renovation.worker_return", "finance", page="renovation.worker_list",
                                                   valid={"refund_receipt_no": "T2026-001"},
                                                   fresh="worker:paid")],
    "propsvc.renovation.pass_forms.WorkerNameForm": [T("renovation.worker_name", "front_desk",
                                                       page="renovation.worker_list",
                                                       valid={"name": lambda c: f"更正工人{c.n()}"},
                                                       fresh="worker:paid")],
    # --- release slips ----------------------------------------------------------------------------
    "propsvc.slips.forms.SlipForm": [T("slips.new", "front_desk", valid={
        "applicant_role": "owner", "applicant_name": lambda c: c.site.extra["owner_name"], "carrier_name": "赵师傅",
        "items-0-name": "旧沙发", "items-0-qty": "1", "moving_on": lambda c: today_plus(1), "sign_on_paper": "y",
        "consent_method": MISSING, "consent_photo": MISSING, "vehicle_plate": "", "signature": ""})],
    "propsvc.slips.forms.StepForm": [
        T("slips.sign", "supervisor", prefix="sign", page="slips.detail", fresh="slip:pending"),
        T("slips.approve", "manager", prefix="approve", page="slips.detail", fresh="slip:signed")],
    "propsvc.slips.forms.ReasonForm": [
        T("slips.refuse", "supervisor", prefix="refuse", page="slips.detail", fresh="slip:pending"),
        T("slips.cancel", "front_desk", prefix="cancel", page="slips.detail", fresh="slip:pending")],
    # --- front desk -------------------------------------------------------------------------------
    "propsvc.frontdesk.forms.VisitForm": [
        T("frontdesk.visit_new", "front_desk", valid={"visitor_name": "陈访客", "purpose": "family", "party_size": "1",
                                                      "plate": "", "id_number": "", "purpose_note": ""}),
        T("frontdesk.visit_check", "front_desk", args={"name": "phone"}, page="frontdesk.visit_new",
          valid={"visitor_name": "陈访客", "purpose": "family", "party_size": "1", "plate": "", "id_number": ""})],
    # --- assessment (考核) [A2][A3] ---------------------------------------------------------------
    "propsvc.assessment.forms.ReviewForm": [T("assessment.review", "supervisor", page="assessment.index",
                                              valid={"result_id": assessment_miss, "decision": "waive",
                                                                   "reason": "病假"})],
    "propsvc.assessment.forms.AppealForm": [T("assessment.appeal", "steward", page="assessment.index",
                                              valid={"result_id": assessment_miss, "note": "当天在处理漏水抢修"})],
    "propsvc.assessment.forms.MarkForm": [T("assessment.mark", "supervisor", page="assessment.index", valid={
        "steward_id": lambda c: str(c.site.user_ids["steward"]), "standard_id": assessment_standard,
        "day": lambda c: today_plus(0), "note": "未穿工装"})],
    "propsvc.assessment.forms.StandardForm": [T("assessment.standard_save", "supervisor", page="assessment.standards",
                                                valid={"standard_id": assessment_standard, "amount": "10",
                                                       "quota": "", "non_working_days": "", "active": "y"})],
    "propsvc.assessment.forms.EvaluateForm": [T("assessment.evaluate", "supervisor", page="assessment.index",
                                                valid={"day": lambda c: today_plus(-1)})],
    # --- handover (交房) [H1]-[H4] ---------------------------------------------------------------
    "propsvc.handover.forms.BatchForm": [T("handover.batch_new", "manager", valid={
        "building_ids": lambda c: [str(c.site.extra["building_id"])], "days": lambda c: today_plus(1),
        "opens": "08:30", "closes": "17:30", "stations": "协议签订处\n收费处", "items": "业主服务手册"})],
    "propsvc.handover.forms.StationsForm": [T("handover.batch_stations", "manager", page="handover.batch",
                                              valid={"stations": "协议签订处\n收费处\n钥匙发放处\n物品发放处\n验房处"})],
    "propsvc.handover.forms.ImportForm": [T("handover.batch_import", "manager", page="handover.batch",
                                            fresh="handover:batch", valid={"file": Upload("list.csv", HANDOVER_CSV)},
                                            edges={"file": CSV_EDGES})],
    "propsvc.handover.forms.ArrivalForm": [T("handover.arrive", "front_desk", fresh="handover:expected", valid={
        "slip_no": "", "came_as": "owner", "id_number": VALID_ID, "owner_name": "", "agent_name": "",
        "agent_relation": ""}, refusal_writes="a refused arrival keeps its reason as an Event [H1]")],
    "propsvc.handover.forms.OwnerFileForm": [T("handover.card_file", "front_desk", page="handover.card",
                                               fresh="handover:arrived", valid={
        "phone1": PHONE, "phone2": "13900139000", "phone3": "", "emergency_name": "周父",
        "emergency_phone": "13700137000", "vehicles": "", "signature": lambda c: SIGNATURE_URL})],
    "propsvc.handover.forms.StationForm": [T("handover.card_station", "front_desk", page="handover.card",
                                             fresh="handover:filed", args={"station": "fees"},
                                             valid={"due": "100", "paid": "100", "receipt": "R1"})],
    "propsvc.handover.forms.RefuseForm": [T("handover.card_refuse", "front_desk", page="handover.card",
                                            fresh="handover:arrived", valid={"reason": "墙面空鼓"})],
    "propsvc.handover.forms.DefectForm": [T("handover.card_defect", "steward", page="handover.card",
                                            fresh="handover:filed", valid={
        "room": "主卧", "item": "墙面", "category": "土建", "location": "北墙", "note": "",
        "photos": [Upload("d.jpg", jpeg_bytes(9, (80, 60)))]})],
    "propsvc.handover.forms.InspectionSignForm": [T("handover.card_inspection", "front_desk", page="handover.card",
                                                    fresh="handover:filed", valid={"signature": lambda c: SIGNATURE_URL})],
    "propsvc.handover.forms.ConfirmForm": [T("handover.card_hand_over", "front_desk", page="handover.card",
                                             fresh="handover:ready")],
    "propsvc.fees.forms.GenerateForm": [T("fees.generate", "finance", page="fees.index",
                                          valid={"period": lambda c: today_plus(0)[:7]})],
    "propsvc.fees.forms.ItemForm": [T("fees.item_save", "finance", page="fees.index",
                                      valid={"name": lambda c: f"停车费{c.n()}", "kind": "fixed", "rate": "150.00",
                                             "active": "y"})],
    "propsvc.fees.forms.SettingsForm": [T("fees.settings", "manager", page="fees.index",
                                          valid={"daily_round": "12", "target_pct": "90"})],
    "propsvc.fees.forms.ImportForm": [T("fees.import_arrears", "finance", valid={"file": lambda c: Upload(
        "arrears.csv", f"房屋,收费项目,账期,应收金额,已收金额\n{c.site.extra['unit_code']},水费,2026-01,12.50,0\n".encode())})],
    "propsvc.fees.forms.PaymentForm": [T("fees.pay", "finance", page="fees.unit",
                                         valid={"receipt_no": lambda c: f"FZ-{c.n()}", "method": "cash",
                                                "paid_on": lambda c: today_plus(0), "amount": "12.34"})],
    "propsvc.fees.forms.ReverseForm": [T("fees.reverse", "finance", fresh="payment", page="fees.index",
                                         valid={"reason": "录入错误"})],
    "propsvc.fees.forms.NoticeForm": [T("fees.notices", "finance",
                                        valid={"building": lambda c: str(c.site.extra["building_id"])},
                                        refusal_writes="")],
    "propsvc.fees.forms.RepairPriceForm": [T("fees.repair_prices", "finance",
                                             valid={"name": lambda c: f"材料{c.n()}", "kind": "material",
                                                    "unit_name": "个", "price": "12.50"})],
    "propsvc.fees.forms.RepairLineForm": [T("fees.repair_line", "steward", fresh="repair", page="fees.repair",
                                            valid={"price_id": lambda c: _repair_price_id(c),
                                                   "qty": "2"})],
    "propsvc.fees.forms.ConsentForm": [T("fees.repair_consent", "steward", fresh="repair:quoted", page="fees.repair",
                                         valid={"method": "paper", "name": "王建国", "signature": ""})],
    "propsvc.fees.forms.ChargeForm": [T("fees.repair_charge", "steward", fresh="repair:consented", page="fees.repair")],
    "propsvc.fees.forms.ContactForm": [T("fees.contact", "supervisor", page="fees.round",
                                         valid={"method": "phone", "result": "unreachable"})],
    "propsvc.errands.forms.ParcelForm": [T("errands.parcel_new", "front_desk", valid={
        "courier": "顺丰", "shelf": "A-03", "tracking_no": "SF1234567890", "arrived_at": "", "recipient_name": ""})],
    "propsvc.errands.forms.MailForm": [T("errands.mail_new", "front_desk", valid={
        "kind": "letter", "sender": "市税务局", "tracking_no": "", "received_at": "", "recipient_name": ""})],
    "propsvc.errands.forms.CardForm": [T("errands.card_new", "front_desk", valid={"kind": "issue", "card_no": ""})],
    "propsvc.errands.forms.NotifyForm": [
        T("errands.parcel_notify", "front_desk", prefix="notify", page="errands.parcel", fresh="parcel",
          valid={"method": "phone"}),
        T("errands.mail_notify", "front_desk", prefix="notify", page="errands.mail_item", fresh="mail",
          valid={"method": "sms"}),
        T("errands.card_notify", "front_desk", prefix="notify", page="errands.card", fresh="card",
          valid={"method": "wechat"})],
    "propsvc.errands.forms.CollectForm": [T("errands.parcel_collect", "front_desk", prefix="collect",
                                            page="errands.parcel", fresh="parcel",
                                            valid={"who": "proxy", "collector_name": "邻居王"})],
    "propsvc.errands.forms.ForwardForm": [T("errands.mail_forward", "front_desk", prefix="forward",
                                            page="errands.mail_item", fresh="mail", valid={"to_name": "业主家人"})],
    "propsvc.errands.forms.NoteForm": [
        T("errands.parcel_return", "front_desk", prefix="return", page="errands.parcel", fresh="parcel"),
        T("errands.mail_return", "front_desk", prefix="return", page="errands.mail_item", fresh="mail"),
        T("errands.card_cancel", "front_desk", prefix="cancel", page="errands.card", fresh="card")],
    "propsvc.errands.forms.FeeForm": [T("errands.card_pay", "front_desk", prefix="pay", page="errands.card",
                                        fresh="card")],
    "propsvc.errands.forms.CompleteForm": [T("errands.card_complete", "front_desk", prefix="complete",
                                             page="errands.card", fresh="card:paid",
                                             valid={"card_no": lambda c: f"MJ-{c.n():05d}"})],
    "propsvc.errands.forms.SettingsForm": [T("errands.settings", "supervisor", valid={
        "card_fee_issue": "20", "card_fee_replace": "30", "parcel_overdue_days": "7"})],
    # --- notices ----------------------------------------------------------------------------------
    "propsvc.notices.forms.NoticeForm": [T("notices.new", "supervisor", valid={
        "kind": "notice", "title": "关于3栋停水的通知", "body": "明天9:00-17:00停水，请提前储水。", "building_ids": MISSING,
        "valid_from": lambda c: today_plus(0), "valid_until": lambda c: today_plus(3)})],
    "propsvc.notices.forms.NoticeEditForm": [T("notices.edit", "supervisor", from_page=("client_key", "based_on"),
                                               args={"notice_id": lambda c: c.pick("notice:current")}, valid={
        "kind": "notice", "title": "关于3栋停水的通知（更正）", "body": "停水改为明天10:00-16:00。", "building_ids": MISSING,
        "valid_from": lambda c: today_plus(0), "valid_until": lambda c: today_plus(3)})],
    "propsvc.notices.forms.WithdrawForm": [T("notices.withdraw", "supervisor", page="notices.detail",
                                             args={"notice_id": lambda c: c.pick("notice:current")},
                                             valid={"reason": "已提前恢复供水"})],
    # --- community events [F2] ------------------------------------------------------------------
    "propsvc.events.forms.EventForm": [
        T("events.new", "supervisor", valid={
            "title": "元宵节猜灯谜", "kind": "festival", "starts_at": lambda c: now_local(days=3),
            "ends_at": lambda c: now_local(days=3, hours=2), "place": "中心广场", "capacity": "30", "age_group": "all",
            "building_ids": MISSING, "description": "欢迎参加", "resources": "灯谜 | 王管家 | 2031-01-01",
            "budget": "奖品 | 300"}),
        T("events.edit", "supervisor", fresh="event:planning", valid={
            "title": "元宵节猜灯谜（改）", "kind": "festival", "starts_at": lambda c: now_local(days=4),
            "ends_at": lambda c: now_local(days=4, hours=2), "place": "中心广场", "capacity": "30", "age_group": "all",
            "building_ids": MISSING, "description": "", "resources": "", "budget": ""})],
    "propsvc.events.forms.SignupForm": [T("events.signup", "front_desk", fresh="event:published", valid={
        "unit_q": "", "unit_id": unit, "name": "王建国", "people": "2", "phone": PHONE})],
    "propsvc.events.forms.WalkinForm": [T("events.walkin", "steward", fresh="event:running", valid={
        "unit_q": "", "unit_id": "", "name": "李客人", "people": "1", "phone": ""})],
    "propsvc.events.forms.ActionForm": [T("events.publish", "supervisor", page="events.detail", fresh="event:planning")],
    "propsvc.events.forms.CancelForm": [T("events.cancel", "supervisor", page="events.detail", fresh="event:published",
                                          valid={"reason": "天气原因"})],
    "propsvc.events.forms.LookBackForm": [T("events.lookback", "supervisor", fresh="event:closed", valid={
        "summary": "共20人参加。", "satisfaction": "5, 4", "costs": "奖品 | 280", "photos": MISSING})],
}

"""Who may use each route: the answer every rule of app.url_map must give, declared here once
and independently of the views' @allow/@public (tests/test_access_matrix.py walks url_map and
checks every rule against this table; a rule without a row fails the suite).

One row per endpoint: the roles let in (PUBLIC: anyone, signed in or not), and the answers that
differ from the defaults. The defaults of the columns:
  - a role in the row's set: let in (IN: no 5xx, not sent to sign-in, not 401/403/404);
  - a role not in it: 403;
  - signed out: 302 to /login (IN for PUBLIC rows);
  - a user of another community (holding every role): 404 when the URL names a record of this
    community (an argument ending in _id, or a checkpoint token), else IN.
`per_role` gives the answer of a role where the record itself decides (a patrol is tapped only
by its own steward); `args` override the sample path values of tests/fullsite.py (a callable takes the site; a
name that is not a path argument goes into the query string); `signs_out` rules end the
session that calls them (the matrix signs in afresh for each).
"""
from dataclasses import dataclass, field

IN = "in"            # let in: below 500, not refused, not sent to sign-in
LOGIN = "login"      # 302 to /login
PUBLIC = "public"

S, FD, SUP, M, T, G, FI, A = ("steward", "front_desk", "supervisor", "manager", "technician", "guard", "finance",
                              "admin")
ROLES = (S, FD, SUP, M, T, G, FI, A)
STAFF = frozenset(ROLES)


def staff(*roles: str) -> frozenset[str]:
    return frozenset(roles)


def but(*roles: str) -> frozenset[str]:
    return STAFF - set(roles)


# Groups the domain names (DOMAIN.md, README): written out here, not imported from the app.
TICKET_VIEWERS = but(G)                        # everyone who handles tickets; guards do not
INTAKE = staff(S, FD, SUP, M)                  # 新建工单
RENOVATION_VIEWERS = but(G)
REGISTRY = but(T)                              # 房屋查询: technicians get places via work orders [T9]
SLIP_VIEWERS = staff(S, FD, SUP, M, G, A)
DESK_VISITORS = staff(FD, SUP, M, G)
ERRANDS = staff(S, FD, SUP, M, FI)
ERRAND_DESK = staff(FD, SUP, M)
PATROL_ADMINS = staff(SUP, M, A)
PATROLLERS = staff(S, SUP, A)
TICKET_SETTINGS = staff(SUP, M, A)
USER_ADMINS = staff(M, A)
LEADS = staff(SUP, M)
WORKER_DESK = staff(S, FD, SUP, M, FI)
FEE_OFFICE = staff(FI, SUP, M)                 # [D4] bills, payments, imports
FEE_VIEWERS = FEE_OFFICE | {S}                 # the arrears list, a unit's fees
COLLECTORS = staff(S, SUP, M)                  # the daily collection round
EVENT_DESK = staff(S, FD, SUP, M)                # 活动报名、签到: the desk, the kiosk, stewards on a resident's behalf
HANDOVER_TEAM = staff(S, FD, SUP, M)            # 交房: arrival desk, owner file, stations
HANDOVER_VIEWERS = staff(S, FD, SUP, M, FI)     # finance mans 收费处


@dataclass(frozen=True)
class Row:
    roles: frozenset[str] | str
    anon: str | int | None = None      # signed out; default LOGIN (IN for PUBLIC)
    other: str | int | None = None     # another community's user; default 404 for a record, else IN
    args: dict = field(default_factory=dict)
    per_role: dict = field(default_factory=dict)  # role -> answer, where the record decides more finely
    signs_out: bool = False
    why: str = ""

    def expect(self, column: str, names_record: bool) -> str | int:
        if column in self.per_role:
            return self.per_role[column]
        if column == "anon":
            return self.anon if self.anon is not None else (IN if self.roles == PUBLIC else LOGIN)
        if column == "other":
            return self.other if self.other is not None else (404 if names_record else IN)
        return IN if self.roles == PUBLIC or column in self.roles else 403


R = Row

ROUTES: dict[str, Row] = {
    # --- sign-in, account, kiosk, health ---------------------------------------------------------
    "static_files.static_file": R(PUBLIC),
    "offline.service_worker": R(PUBLIC, why="the offline shell's script: asset URLs and path patterns, no data; "
                                            "an update check may come after the session ended"),
    "offline.page": R(PUBLIC, why="the page the worker shows without signal, kept without cookies: no data"),
    "auth.login": R(PUBLIC),
    "auth.logout": R(STAFF, signs_out=True),
    "auth.kiosk": R(PUBLIC, anon=403, why="the lock screen, on the registered kiosk PC (the signed-in columns "
                    "send its cookie); a browser that is not one is told so (403)"),
    "auth.kiosk_lock": R(PUBLIC, signs_out=True),
    "auth.kiosk_register": R(staff(SUP, M, A)),
    "auth.switch_community": R(STAFF),
    "auth.account": R(STAFF),
    "auth.account_password": R(STAFF),
    "auth.account_pin": R(staff(FD, SUP)),
    "auth.account_end_session": R(STAFF, other=IN, why="another person's session: answered 'already ended', "
                                  "nothing done (the same for everyone)"),
    "core.home": R(STAFF),
    "core.healthz": R(PUBLIC, why="issue 14: a load balancer's probe needs no sign-in"),
    # --- registry, admin --------------------------------------------------------------------------
    "registry.search": R(REGISTRY),
    "registry.unit": R(REGISTRY),
    "admin.import_units": R(staff(A)),
    "admin.import_example": R(staff(A)),
    "admin.users": R(USER_ADMINS),
    "admin.user_new": R(USER_ADMINS),
    "admin.user_edit": R(USER_ADMINS),
    "admin.user_activate": R(USER_ADMINS),
    "admin.user_deactivate": R(USER_ADMINS),
    "admin.user_reset_password": R(USER_ADMINS),
    "admin.user_reset_pin": R(USER_ADMINS),
    "admin.user_end_sessions": R(USER_ADMINS),
    "admin.departments": R(USER_ADMINS),
    "admin.seal": R(USER_ADMINS),
    # --- personal data ----------------------------------------------------------------------------
    "privacy.reveal": R(staff(S, FD, SUP, M, FI, A), why="an owner's phone in the steward's own building: "
                        "core.scope lets these roles reveal it, technicians and guards are refused"),
    "privacy.audit": R(LEADS),
    "privacy.audit_csv": R(LEADS),
    "privacy.covers": R(LEADS),
    "privacy.cover_new": R(LEADS),
    "privacy.cover_end": R(LEADS),
    # --- tickets ----------------------------------------------------------------------------------
    "tickets.new": R(INTAKE),
    "tickets.check_field": R(INTAKE, args={"name": "description"}),
    "tickets.attach": R(INTAKE),
    "tickets.outage_call": R(INTAKE),
    # The sample ticket is the technician's (engineering); finance sees only its own department's.
    "tickets.show": R(TICKET_VIEWERS, per_role={FI: 404}),
    "tickets.step": R(TICKET_VIEWERS, per_role={FI: 404}, args={"step": "note"}),
    "tickets.workorder": R(TICKET_VIEWERS, per_role={FI: 404}),
    "tickets.photo": R(TICKET_VIEWERS, per_role={FI: 404}),
    "tickets.photo_thumb": R(TICKET_VIEWERS, per_role={FI: 404}),
    "tickets.queue": R(staff(FD, SUP, M)),
    "tickets.mine": R(staff(S, FD, SUP, T)),
    "tickets.analysis": R(TICKET_SETTINGS),
    "tickets.analysis_csv": R(TICKET_SETTINGS),
    "tickets.settings": R(TICKET_SETTINGS),
    "tickets.settings_category_add": R(TICKET_SETTINGS),
    "tickets.settings_category": R(TICKET_SETTINGS),
    "tickets.settings_sla": R(TICKET_SETTINGS),
    "tickets.settings_hours": R(TICKET_SETTINGS),
    "tickets.settings_holiday_add": R(TICKET_SETTINGS),
    "tickets.settings_holiday_delete": R(TICKET_SETTINGS),
    "tickets.settings_outage_add": R(TICKET_SETTINGS),
    "tickets.settings_outage_end": R(TICKET_SETTINGS),
    # --- patrols ----------------------------------------------------------------------------------
    "patrols.today": R(staff(S, SUP)),
    "patrols.start": R(PATROLLERS),
    "patrols.run": R(staff(S, SUP, M, A)),
    # The sample patrol is the steward's own: only he taps and finishes it.
    "patrols.tap": R(PATROLLERS, per_role={SUP: 404, A: 404}),
    "patrols.photo": R(staff(S, SUP, M, A)),
    "patrols.finish": R(PATROLLERS, per_role={SUP: 404, A: 404}),
    "patrols.checkpoint": R(PATROLLERS),
    "patrols.checkpoints": R(PATROL_ADMINS),
    "patrols.checkpoint_active": R(PATROL_ADMINS),
    "patrols.checkpoint_pdf": R(PATROL_ADMINS),
    "patrols.admin": R(PATROL_ADMINS),
    "patrols.admin_coverage": R(PATROL_ADMINS),
    "patrols.admin_template_add": R(PATROL_ADMINS),
    "patrols.admin_template_edit": R(PATROL_ADMINS),
    "patrols.admin_item": R(PATROL_ADMINS),
    "patrols.admin_item_add": R(PATROL_ADMINS),
    "patrols.admin_item_edit": R(PATROL_ADMINS),
    "patrols.admin_item_active": R(PATROL_ADMINS),
    "patrols.admin_item_move": R(PATROL_ADMINS),
    "patrols.plans": R(PATROL_ADMINS),
    "patrols.plan_add": R(PATROL_ADMINS),
    "patrols.plan_edit": R(PATROL_ADMINS),
    "patrols.plan_active": R(PATROL_ADMINS),
    "patrols.records": R(staff(S, SUP, M, A)),
    "patrols.records_csv": R(staff(S, SUP, M, A)),
    "patrols.summary": R(staff(S)),
    "patrols.summaries": R(LEADS),
    "patrols.summary_show": R(LEADS),
    "patrols.briefing": R(PATROL_ADMINS),
    "patrols.briefing_pdf": R(PATROL_ADMINS),
    "patrols.briefing_note": R(LEADS),
    # --- renovation, passes, documents --------------------------------------------------------------
    "renovation.index": R(RENOVATION_VIEWERS),
    "renovation.new": R(staff(S, FD, SUP)),
    "renovation.show": R(RENOVATION_VIEWERS),
    "renovation.photo": R(RENOVATION_VIEWERS, args={"path": lambda site: site.extra["renovation_photo"]}),
    "renovation.approve": R(staff(M)),
    "renovation.reject": R(staff(M)),
    "renovation.finish": R(staff(S, SUP, M)),
    "renovation.inspect": R(staff(S, SUP)),
    "renovation.extend": R(staff(S, FD, SUP)),
    "renovation.extension_review": R(staff(SUP)),
    "renovation.extension_approve": R(staff(M)),
    "renovation.extension_fee": R(staff(FI)),
    "renovation.board": R(STAFF),
    "renovation.board_pdf": R(STAFF),
    "renovation.settings": R(staff(M, FI, A)),
    "renovation.settings_save": R(staff(M, A)),
    "renovation.workers": R(WORKER_DESK),
    "renovation.worker_new": R(staff(S, FD, SUP)),
    "renovation.workers_extend": R(staff(FD, SUP, M, FI)),
    "renovation.worker_list": R(WORKER_DESK),
    "renovation.worker_pass_pdf": R(WORKER_DESK),
    "renovation.worker_photo": R(staff(S, FD, SUP, M, G, FI)),
    "renovation.worker_pay": R(staff(FI)),
    "renovation.worker_return": R(staff(FI)),
    "renovation.worker_name": R(staff(FD, SUP)),
    "renovation.gate": R(staff(G, SUP)),
    "renovation.gate_check": R(staff(G, SUP)),
    "renovation.gate_release": R(staff(G, SUP)),
    "documents.pdf_view": R(but(T, G)),
    "documents.verify": R(PUBLIC),
    # --- release slips ------------------------------------------------------------------------------
    "slips.index": R(SLIP_VIEWERS),
    "slips.new": R(staff(S, FD, SUP)),
    "slips.detail": R(SLIP_VIEWERS),
    "slips.signature": R(staff(S, FD, SUP, M, A)),
    "slips.consent": R(staff(S, FD, SUP, M, A)),
    "slips.sign": R(staff(SUP)),
    "slips.approve": R(staff(M)),
    "slips.refuse": R(LEADS),
    "slips.cancel": R(staff(S, FD, SUP, M)),
    # --- front desk: visitors, errands, notices -------------------------------------------------------
    "frontdesk.visitors": R(DESK_VISITORS),
    "frontdesk.visits_csv": R(staff(FD, SUP, M)),
    "frontdesk.visit_new": R(DESK_VISITORS),
    "frontdesk.visit_check": R(DESK_VISITORS, args={"name": "phone"}),
    "frontdesk.visit_out": R(DESK_VISITORS),
    # --- fees [D4] -----------------------------------------------------------------------------------
    "fees.index": R(FEE_OFFICE),
    "fees.generate": R(FEE_OFFICE),
    "fees.item_save": R(FEE_OFFICE),
    "fees.settings": R(LEADS),
    "fees.import_arrears": R(FEE_OFFICE),
    "fees.import_example": R(FEE_OFFICE),
    "fees.unit": R(FEE_VIEWERS),
    "fees.pay": R(FEE_OFFICE),
    "fees.reverse": R(staff(FI, M)),
    "fees.arrears_list": R(FEE_VIEWERS),
    "fees.arrears_xlsx": R(FEE_VIEWERS),
    "fees.notices": R(FEE_VIEWERS),
    # the demo's batch of notices lies in documents 1..3999; another community's user finds none
    "fees.notices_pdf": R(FEE_VIEWERS, args={"first": 1, "last": 3999}, other=404),
    "fees.round": R(COLLECTORS),
    "fees.repair_prices": R(FEE_OFFICE),
    "fees.repair": R(FEE_VIEWERS | {T}),
    "fees.repair_line": R(staff(S, SUP, T)),
    "fees.repair_consent": R(staff(S, SUP, FD, T)),
    "fees.repair_charge": R(COLLECTORS),
    "fees.contact": R(COLLECTORS),
    "errands.index": R(ERRANDS),
    "errands.settings": R(LEADS),
    "errands.parcels": R(ERRANDS - {FI}),
    "errands.parcel_new": R(ERRAND_DESK),
    "errands.parcel": R(ERRANDS - {FI}),
    "errands.parcel_notify": R(ERRAND_DESK | {S}),
    "errands.parcel_collect": R(ERRAND_DESK),
    "errands.parcel_return": R(ERRAND_DESK),
    "errands.mail": R(ERRANDS - {FI}),
    "errands.mail_new": R(ERRAND_DESK),
    "errands.mail_item": R(ERRANDS - {FI}),
    "errands.mail_notify": R(ERRAND_DESK | {S}),
    "errands.mail_forward": R(ERRAND_DESK),
    "errands.mail_return": R(ERRAND_DESK),
    "errands.cards": R(ERRANDS),
    "errands.card_new": R(ERRAND_DESK),
    "errands.card": R(ERRANDS),
    "errands.card_notify": R(ERRAND_DESK | {S}),
    "errands.card_pay": R(ERRAND_DESK | {FI}),
    "errands.card_complete": R(ERRAND_DESK),
    "errands.card_cancel": R(ERRAND_DESK),
    # --- assessment (考核) [A2]-[A4] ------------------------------------------------------------------
    "assessment.index": R(staff(S, SUP, M), why="a steward sees their own scorecard; leads the team's"),
    "assessment.evaluate": R(LEADS),
    "assessment.review": R(LEADS),
    "assessment.mark": R(LEADS),
    "assessment.standards": R(LEADS),
    "assessment.standard_save": R(LEADS),
    "assessment.appeal": R(staff(S), why="only the steward appeals their own miss"),
    "assessment.scorecard_pdf": R(LEADS),
    "assessment.scorecard_excel": R(LEADS),
    "assessment.report": R(LEADS),
    "assessment.report_pdf": R(LEADS),
    "assessment.report_excel": R(LEADS),
    # --- handover (交房) [H1]-[H4] ---------------------------------------------------------------------
    "handover.index": R(HANDOVER_VIEWERS),
    "handover.batch_new": R(LEADS),
    "handover.batch": R(HANDOVER_VIEWERS),
    "handover.batch_import": R(LEADS),
    "handover.batch_stations": R(LEADS),
    "handover.arrive": R(HANDOVER_TEAM),
    "handover.card": R(HANDOVER_VIEWERS),
    "handover.card_file": R(HANDOVER_TEAM),
    "handover.card_station": R(HANDOVER_VIEWERS, why="finance marks 收费处 (the sample station); other stations "
                               "are the handover team's"),
    "handover.card_hand_over": R(HANDOVER_TEAM),
    "handover.card_defect": R(HANDOVER_TEAM),
    "handover.card_inspection": R(HANDOVER_TEAM),
    "handover.card_refuse": R(HANDOVER_TEAM),
    "handover.card_photo": R(HANDOVER_TEAM, why="the signed 委托书 and members' photos: personal data [T9]"),
    "handover.station": R(HANDOVER_VIEWERS),
    "handover.summary": R(HANDOVER_VIEWERS),
    "handover.appointments": R(HANDOVER_VIEWERS),
    "handover.appointments_pdf": R(HANDOVER_VIEWERS),
    "handover.summary_pdf": R(HANDOVER_VIEWERS),
    "notices.index": R(STAFF),
    "notices.new": R(LEADS),
    "notices.detail": R(STAFF),
    "notices.pdf": R(STAFF),
    "notices.edit": R(LEADS),
    "notices.withdraw": R(LEADS),
    # --- community events [F2] ------------------------------------------------------------------
    "events.index": R(STAFF),
    "events.new": R(LEADS),
    "events.detail": R(STAFF),
    "events.edit": R(LEADS),
    "events.publish": R(LEADS),
    "events.start": R(EVENT_DESK),
    "events.close": R(LEADS),
    "events.tick": R(LEADS, args={"no": 1}),
    "events.cancel": R(LEADS),
    "events.told": R(EVENT_DESK),
    "events.signup": R(EVENT_DESK),
    "events.walkin": R(EVENT_DESK),
    "events.cancel_signup": R(EVENT_DESK),
    "events.checkin": R(EVENT_DESK),
    "events.check_in": R(EVENT_DESK),
    "events.lookback": R(LEADS),
    "events.photo": R(STAFF, args={"event_id": lambda site: site.extra["held_event_id"], "no": 1}),
    "events.public_page": R(PUBLIC, why="the poster's QR: title, time, place, places left; no names or phones"),
    "events.poster_pdf": R(STAFF),
    "events.signups_pdf": R(EVENT_DESK),
    "events.report_pdf": R(STAFF),
}

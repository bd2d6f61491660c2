"""propsvc: customer service for a residential property office."""
from pathlib import Path

from flask import Flask, g, request, session
from flask_login import current_user

from .config import load_config
from .extensions import compress, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=None,  # served by core.web with content-hashed URLs
        template_folder=str(ROOT / "templates"),
    )
    load_config(app, config)
    _make_upload_folder(app)

    # Models must be imported before the metadata is used (migrations, create_all).
    from . import models  # noqa: F401
    from .engine import configure_engine

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None

    from .auth.views import bp as auth_bp, check_session, idle_seconds
    from .core import access, idempotency, offline, web
    from .core.views import bp as core_bp
    from .registry.views import bp as registry_bp
    from .admin.views import bp as admin_bp
    from .documents.views import bp as documents_bp
    from .patrols.routes import bp as patrols_bp
    from .renovation.routes import bp as renovation_bp
    from .tickets.routes import bp as tickets_bp
    from .slips.routes import bp as slips_bp
    from .frontdesk.routes import bp as frontdesk_bp
    from .notices.routes import bp as notices_bp
    from .errands.routes import bp as errands_bp
    from .fees.routes import bp as fees_bp
    from .events.routes import bp as events_bp
    from .handover.routes import bp as handover_bp
    from .assessment.routes import bp as assessment_bp
    from .privacy.views import bp as privacy_bp, register_template_helpers

    app.url_map.converters["id"] = web.IdConverter  # before any rule uses <id:…>
    for bp in (web.bp, core_bp, auth_bp, registry_bp, admin_bp, tickets_bp, patrols_bp,
               renovation_bp, documents_bp, slips_bp, frontdesk_bp, notices_bp,
               errands_bp, events_bp, handover_bp, fees_bp, assessment_bp, privacy_bp):
        app.register_blueprint(bp)

    app.before_request(web.refuse_nul)
    app.before_request(check_session)
    app.before_request(access.enforce_access)
    idempotency.init_app(app)  # after access: a one-time key is checked for those let in
    offline.init_app(app)  # the steward's offline shell: /sw.js, /offline
    app.after_request(web.security_headers)
    compress.init_app(app)  # COMPRESS_REGISTER is off: web.compress_response calls it
    app.after_request(web.compress_response)  # runs after security_headers (last registered, first run)
    web.register_error_handlers(app)
    _template_helpers(app, idle_seconds)
    register_template_helpers(app)
    _register_hooks(app)

    from .cli import register_cli

    register_cli(app)
    return app


def _register_hooks(app: Flask) -> None:
    """Which area answers which extension point (core.hooks): the lower rooms (core, registry,
    auth) call the points and never import the areas. A new area adds its lines here."""
    from .auth.services import own_building_ids
    from .core import hooks
    from .errands.services import parcels_count
    from .events.services import upcoming_count
    from .fees.services import (briefing_sections, collection_round_result, ensure_fee_defaults, summary_lines,
                                 workorder_charges)
    from .fees.views import analysis_panel, ticket_panel, today_panel
    from .frontdesk.services import on_site_count
    from .notices.services import board_for, current_count, publish_event_notice, withdraw_by_id
    from .patrols.day import patrol_progress
    from .patrols.defaults import ensure_patrol_defaults
    from .patrols.services import ticket_origin
    from .privacy.services import cover_building_ids
    from .renovation.pass_services import unpaid_count
    from .renovation.services import active_renovation_for_unit, applied_count, board_count
    from .slips.services import gate_count, todo_count
    from .tickets.lists import dispatch_count, mine_count
    from .tickets.services import calendar_warnings_for, ensure_defaults, open_fee_dispute, open_ticket_for, ticket_facts
    from .handover.services import steward_today_lines
    from .assessment.services import steward_today_lines as assessment_today_lines
    from .assessment.standards import ensure_assessment_standards
    from .renovation.services import month_figures as renovation_month_figures
    from .slips.services import month_figures as slips_month_figures
    from .fees.services import month_figures as fees_month_figures
    from .handover.services import month_figures as handover_month_figures

    # A new community: ticket categories, deadlines and working hours; then patrol checklists.
    hooks.register(app, hooks.COMMUNITY_SETUP, ensure_defaults, ensure_patrol_defaults, ensure_fee_defaults,
                   ensure_assessment_standards)
    hooks.register(app, hooks.ASSIGNED_BUILDINGS, own_building_ids, cover_building_ids)  # [D2]: own + covered
    hooks.register(app, hooks.NOTICE_BOARD, board_for)  # [F2]
    hooks.register(app, hooks.PUBLISH_NOTICE, publish_event_notice)  # [F2] an event's notice
    hooks.register(app, hooks.WITHDRAW_NOTICE, withdraw_by_id)  # [F2] a cancelled event's notice
    hooks.register(app, hooks.HOME_WARNINGS, calendar_warnings_for)
    hooks.register(app, hooks.UNIT_RENOVATION, active_renovation_for_unit)  # [S2] a slip by the lead
    hooks.register(app, hooks.FEE_DISPUTE, open_fee_dispute)  # [D4] 有异议 → a ticket
    hooks.register(app, hooks.TODAY_PANELS, today_panel)  # [D4] 今日催费
    hooks.register(app, hooks.BRIEFING_SECTIONS, briefing_sections)  # [D4] 收费情况, on the page and printed
    hooks.register(app, hooks.SUMMARY_LINES, summary_lines)  # [D4] the day's collection round
    hooks.register(app, hooks.COLLECTION_ROUND, collection_round_result)  # [A2] 完成当日催费任务
    hooks.register(app, hooks.ANALYSIS_PANELS, analysis_panel)  # [D4] collection rate by building/month
    hooks.register(app, hooks.TICKET_FACTS, ticket_facts)  # paid repairs: the ticket's unit and kind
    hooks.register(app, hooks.WORKORDER_CHARGES, workorder_charges)  # paid repairs on the work order
    hooks.register(app, hooks.TICKET_PANELS, ticket_panel)  # paid repairs: the quote on the ticket
    hooks.register(app, hooks.TICKET_ORIGIN, ticket_origin)  # [D3] 来源 巡查 on a rectification
    # The home tiles' live counts (core.nav): per place, the area function that counts what waits there.
    for endpoint, count in {
        "patrols.today": patrol_progress, "tickets.mine": mine_count, "tickets.queue": dispatch_count,
        "renovation.gate": gate_count, "frontdesk.visitors": on_site_count, "slips.index": todo_count,
        "errands.index": parcels_count, "renovation.index": applied_count, "renovation.board": board_count,
        "renovation.worker_list": unpaid_count, "notices.index": current_count,
        "events.index": upcoming_count,
    }.items():
        hooks.register(app, hooks.place_counts(endpoint), count)
    hooks.register(app, hooks.OPEN_TICKET, open_ticket_for)  # [H4] a handover defect → a 返修 ticket
    hooks.register(app, hooks.STEWARD_TODAY, steward_today_lines)  # [D2] units handed over lately
    hooks.register(app, hooks.STEWARD_ASSESSMENT, assessment_today_lines)  # [A3] 本月 n 项未达标 on 今日
    hooks.register(app, hooks.MONTH_FIGURES, renovation_month_figures, slips_month_figures,
                   handover_month_figures, fees_month_figures)  # [A5] monthly report
    # hooks.COLLECTION_ROUND [A2] is answered by fees (registered above).


def _make_upload_folder(app: Flask) -> None:
    """Create the upload folder on start, so a fresh install is healthy before its first photo;
    if it cannot be made, /healthz says so (503) instead of the app refusing to start."""
    folder = app.config.get("UPLOAD_FOLDER")
    if folder:
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            app.logger.warning("cannot create the upload folder %s: %s", folder, e)


def _template_helpers(app: Flask, idle_seconds) -> None:
    from .auth.services import KIOSK_COOKIE
    from .core import hooks
    from .core.access import access_of, can
    from .core.nav import nav_for
    from .core.web import find_form, find_forms, static_url
    from .core.timefmt import localtime
    from .registry.masking import mask_id, mask_phone
    from .registry.services import SEARCH_LIMIT

    def _nav():
        """The bar and 更多 for this person on this page (core.nav), worked out once per request."""
        if "_nav" not in g:
            g._nav = nav_for(current_user.roles, request.endpoint, can, bool(session.get("kiosk_id")))
        return g._nav

    @app.context_processor
    def _ctx():
        return {
            "static_url": static_url,
            "nav": _nav,
            "can": can,
            "community": getattr(g, "community", None),
            "idle_seconds": idle_seconds(),
            "on_kiosk": bool(session.get("kiosk_id")),
            "kiosk_pc": KIOSK_COOKIE in request.cookies,
        }

    app.jinja_env.filters["localtime"] = localtime
    # Other areas' panels on a page through an extension point (core.hooks: TODAY_PANELS, …).
    app.jinja_env.globals["panels"] = lambda point, *args: hooks.joined(point, *args)
    app.jinja_env.globals["search_limit"] = SEARCH_LIMIT  # a unit search lists at most this many
    app.jinja_env.globals["find_form"] = find_form  # 查找 without JavaScript: a plain GET (core.web)
    app.jinja_env.globals["find_forms"] = find_forms
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["mask_id"] = mask_id

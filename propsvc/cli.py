"""Command line: `flask --app app init-db | seed-demo | create-user | import-units FILE |
backup PATH | restore PATH`."""
import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from .auth.services import ensure_departments
from .extensions import db

__all__ = ["ensure_departments", "find_community", "register_cli"]


def find_community(name: str | None):
    from .registry.models import Community

    if name:
        c = db.session.scalar(select(Community).where(Community.name == name))
        if c is None:
            raise click.ClickException(f"没有名为“{name}”的小区。")
        return c
    communities = list(db.session.scalars(select(Community)))
    if len(communities) != 1:
        raise click.ClickException("请用 --community 指定小区。")
    return communities[0]


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or migrate the schema to the latest version; add the departments."""
        upgrade()
        ensure_departments()
        from .registry.models import Community
        from .registry.setup import setup_community

        for community_id in db.session.scalars(select(Community.id)):
            setup_community(community_id)  # what the areas need: ticket categories, deadlines, hours, checklists
        db.session.commit()
        click.echo("数据库已就绪。")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when no community exists yet.")
    def seed_demo_cmd(if_empty: bool):
        """Load the demo community 新澳花园北区 with people and one account per role."""
        from .demo import seed_all
        from .registry.models import Community

        ensure_departments()
        if if_empty and db.session.scalar(select(Community.id).limit(1)) is not None:
            click.echo("已有数据，跳过演示数据。")
            return
        for line in seed_all():  # propsvc/demo: one module per area
            click.echo(line)

    @app.cli.command("assess")
    @click.option("--day", default=None, help="The day to evaluate (YYYY-MM-DD); default: the last --days days.")
    @click.option("--days", default=3, show_default=True,
                  help="Evaluate this many days before today (a late record re-evaluates its day).")
    def assess_cmd(day, days):
        """Nightly: evaluate every steward's ended days against the assessment standards [A2]."""
        import time as _time
        from datetime import date as _date, timedelta

        from .assessment.services import AssessmentError, evaluate_day
        from .core.timefmt import site_today
        from .registry.models import Community

        if day:
            try:
                wanted = [_date.fromisoformat(day)]
            except ValueError:
                raise click.BadParameter("日期格式应为 YYYY-MM-DD。", param_hint="--day")
        else:
            today = site_today()
            wanted = [today - timedelta(days=n) for n in range(days, 0, -1)]
        for community_id in db.session.scalars(select(Community.id)):
            for d in wanted:
                t0 = _time.perf_counter()
                try:
                    out = evaluate_day(community_id, d)
                except AssessmentError as e:
                    db.session.rollback()
                    click.echo(f"{d} 小区#{community_id}：{e}")
                    continue
                db.session.commit()
                click.echo(f"{d} 小区#{community_id}：管家 {out.stewards} 人，达标 {out.met}，未达标 {out.missed}，"
                           f"不适用 {out.na}，变更 {out.changed}（{_time.perf_counter() - t0:.2f}s）")

    @app.cli.command("create-user")
    @click.option("--username", required=True)
    @click.option("--name", required=True, help="Display name, e.g. 张三")
    @click.option("--role", "roles", multiple=True, required=True, help="steward, front_desk, supervisor, …")
    @click.option("--community", "communities", multiple=True, help="Community name (repeatable)")
    @click.option("--department", default=None, help="Department code or name, e.g. engineering or 工程部")
    @click.option("--buildings", default=None, help="Building numbers in the user's community, e.g. 1,2,3")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--pin", default=None, help="4–6 digit kiosk PIN")
    def create_user_cmd(username, name, roles, communities, department, buildings, password, pin):
        """Create a staff account (a technician needs --department)."""
        from .auth.services import AuthError, check_staff, create_user, find_department
        from .core.roles import Role
        from .registry.models import Building

        try:
            roles = [Role(r) for r in roles]
        except ValueError as e:
            raise click.ClickException(f"未知角色：{e}. 可用：{', '.join(r.value for r in Role)}")
        dept = None
        if department:
            dept = find_department(department)
            if dept is None:
                from .auth.models import Department

                known = "、".join(f"{d.code}（{d.name}）" for d in db.session.scalars(select(Department)))
                raise click.ClickException(f"没有部门“{department}”。可用：{known}")
        places = [find_community(c) for c in communities]
        chosen = []
        if buildings:
            if not places:
                places = [find_community(None)]  # the only community, or asks for --community
            if len(places) != 1:
                raise click.ClickException("--buildings 需要恰好一个 --community（楼栋号在该小区内查找）。")
            for number in (n.strip() for n in buildings.replace("，", ",").split(",") if n.strip()):
                b = db.session.scalar(select(Building).where(Building.community_id == places[0].id,
                                                             Building.number == number))
                if b is None:
                    raise click.ClickException(f"小区“{places[0].name}”没有{number}栋。")
                chosen.append(b)
        try:
            check_staff(roles, dept)
            user = create_user(username=username, name=name, password=password, pin=pin, roles=roles,
                               communities=places, department=dept, buildings=chosen)
        except AuthError as e:
            raise click.ClickException(str(e))
        db.session.commit()
        click.echo(f"已创建用户 {user.username}。")

    @app.cli.command("import-units")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--community", default=None, help="Community name (created if missing with --create)")
    @click.option("--create", is_flag=True, help="Create the community if it does not exist.")
    def import_units_cmd(path, community, create):
        """Import buildings, units and owners from a CSV or XLSX file (all rows or none)."""
        from .registry.importer import import_path
        from .registry.models import Community

        if create and community and db.session.scalar(select(Community).where(Community.name == community)) is None:
            from .registry.importer import create_community

            create_community(community)
        result = import_path(find_community(community), path)
        if result.errors:
            for err in result.errors:
                click.echo(str(err), err=True)  # "第N行：…", or the message alone for the whole file
            raise click.ClickException(f"共 {len(result.errors)} 处错误，未导入任何数据。")
        click.echo(result.summary)

    @app.cli.command("fees-bills")
    @click.option("--period", default=None, help="YYYY-MM (default: this month, site time)")
    @click.option("--community", default=None, help="Community name (default: every community)")
    def fees_bills_cmd(period, community):
        """Generate a month's bills [D4]; idempotent (a month run twice creates nothing twice)."""
        from .fees.services import FeeError, generate_month, parse_period
        from .registry.models import Community

        try:
            period = parse_period(period) if period else None
        except FeeError as e:
            raise click.ClickException(str(e)) from None
        from .fees.services import period_of
        from .core.timefmt import site_today

        period = period or period_of(site_today())
        targets = [find_community(community)] if community else list(db.session.scalars(select(Community)))
        for c in targets:
            result = generate_month(c.id, period)
            db.session.commit()
            click.echo(f"{c.name}：{result.summary}")

    @app.cli.command("fees-round")
    @click.option("--community", default=None, help="Community name (default: every community)")
    def fees_round_cmd(community):
        """Draw today's collection round (今日催费) of every steward [D4]; run each morning (cron,
        e.g. 07:00). A round already drawn today is kept; running it twice draws nothing twice."""
        from .fees.services import draw_rounds
        from .registry.models import Community

        targets = [find_community(community)] if community else list(db.session.scalars(select(Community)))
        for c in targets:
            drawn = draw_rounds(c.id)
            db.session.commit()
            lines = "、".join(f"{name} {n} 户" for name, n in drawn.items()) or "没有需要催费的管家"
            click.echo(f"{c.name}：今日催费 {lines}。")

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=True, file_okay=True))
    @click.option("--overwrite", is_flag=True, help="Replace an existing archive of that name.")
    def backup_cmd(path, overwrite):
        """Write one .tar.gz archive: a consistent database snapshot, the uploads, a manifest.
        PATH may be a folder (a dated file name is chosen inside it)."""
        from .core.backup import BackupError, backup

        try:
            result = backup(path, overwrite=overwrite)
        except BackupError as e:
            raise click.ClickException(str(e))
        click.echo(result.backup_line())

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    def restore_cmd(path):
        """Fill an EMPTY database and upload folder from an archive made by `flask backup`."""
        from .core.backup import BackupError, restore

        try:
            result = restore(path)
        except BackupError as e:
            raise click.ClickException(str(e))
        click.echo(result.restore_line())

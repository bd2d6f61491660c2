"""Month-end evaluation time [A2]: 30 stewards x 31 days (the issue's closing figure).

Run on demand, never from the tests:

    .venv/bin/python bench/assessment.py [--stewards 30] [--days 31]

Builds the app on a temporary SQLite file, one community with 4 buildings per steward, each
steward's recorded work for every day of a 31-day month (building patrols, one short now and
then; the daily summary; a repair ticket due each day with its return visit), then evaluates
every day (assessment.services.evaluate_day, one commit per day, as `flask assess` does) and
again (the idempotent re-run: nothing changes), and prints the times."""
import argparse
import sys
import tempfile
import time
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from propsvc import create_app  # noqa: E402
from propsvc.extensions import db  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stewards", type=int, default=30)
    ap.add_argument("--days", type=int, default=31)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench",
                      "UPLOAD_FOLDER": str(tmp / "uploads"), "PDF_CACHE_DIR": "", "PDF_WARM": "off"})
    from flask_migrate import upgrade

    from propsvc.assessment.services import evaluate_day
    from propsvc.auth.services import create_user
    from propsvc.cli import ensure_departments
    from propsvc.core.models import Event
    from propsvc.core.timefmt import SITE_TZ
    from propsvc.patrols.models import ChecklistTemplate, DailySummary, Patrol
    from propsvc.registry.models import Building, Community
    from propsvc.registry.setup import setup_community
    from propsvc.tickets.models import Category, Ticket

    def at(day, h, m=0):
        return datetime.combine(day, dtime(h, m), tzinfo=SITE_TZ).astimezone(timezone.utc)

    first = date(2026, 10, 1)
    days = [first + timedelta(days=i) for i in range(args.days)]
    now = at(days[-1] + timedelta(days=2), 9)
    with app.app_context():
        upgrade()
        ensure_departments()
        c = Community(name="考核小区", code="BENCH", stamp_name="考核小区")
        db.session.add(c)
        db.session.flush()
        setup_community(c.id)
        tpl = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.community_id == c.id,
                                                                ChecklistTemplate.kind == "building"))
        cat = db.session.scalar(select(Category.id).where(Category.community_id == c.id).limit(1))
        t0 = time.perf_counter()
        serial = 0
        for n in range(args.stewards):
            bs = [Building(community_id=c.id, number=str(n * 4 + k + 1), sort_key=n * 4 + k + 1, floors=18,
                           entrances=2) for k in range(4)]
            db.session.add_all(bs)
            db.session.flush()
            s = create_user(username=f"s{n}", name=f"管家{n}", password="bench-password-1", roles=["steward"],
                            communities=[c], buildings=bs)
            db.session.flush()
            for i, day in enumerate(days):
                for k, b in enumerate(bs[:2 if (n + i) % 9 else 1]):
                    st = at(day, 9, 10 + 25 * k)
                    db.session.add(Patrol(community_id=c.id, template_id=tpl.id, steward_id=s.id, kind="building",
                                          target_type="building", building_id=b.id, day=day, started_at=st,
                                          finished_at=st + timedelta(minutes=20)))
                db.session.add(DailySummary(community_id=c.id, user_id=s.id, day=day, text="总结",
                                            submitted_at=at(day, 16, 45) if (n + i) % 7 else at(day, 17, 30)))
                serial += 1
                t = Ticket(community_id=c.id, serial=f"B{serial}", kind="repair", channel="phone", category_id=cat,
                           urgency="normal", building_id=bs[0].id, description="报修", state="closed",
                           respond_due=at(day, 9), resolve_due=at(day, 12), resolved_at=at(day, 11),
                           visit_due=at(day, 17), created_at=at(day, 8))
                db.session.add(t)
                db.session.flush()
                db.session.add(Event(at=at(day, 16 if (n + i) % 5 else 20), community_id=c.id, action="ticket.visited",
                                     object_type="ticket", object_id=t.id, data={}))
        db.session.commit()
        print(f"recorded work: {args.stewards} stewards x {args.days} days in {time.perf_counter() - t0:.1f}s")
        for label in ("first run", "re-run (idempotent)"):
            t0 = time.perf_counter()
            missed = changed = 0
            for day in days:
                out = evaluate_day(c.id, day, now=now)
                db.session.commit()
                missed += out.missed
                changed += out.changed
            el = time.perf_counter() - t0
            print(f"{label}: {args.stewards} stewards x {args.days} days = {el:.2f}s "
                  f"({el / args.days * 1000:.0f} ms/day), missed {missed}, changed {changed}")


if __name__ == "__main__":
    main()

"""Render time and size of the community events' PDFs [F2]: the poster (A4, QR to the public
page), the sign-up sheet (A4) and the one-page look back (A4, with photos).

Run on demand, never from the tests:

    .venv/bin/python bench/events.py [-n 30]

Builds the app on a temporary SQLite file (PDF cache off: every figure is a real render), loads
the demo (its events: one held and looked back on, one open with homes signed up), adds 40
sign-ups to the open event (a fuller sheet) and two photos to the held one, and asks for each
PDF through the Flask test client signed in as the demo manager: the first request after
warm_pdf() (as a worker runs it at start), then N more (median and p95), and the size. Same
targets as bench/pdf.py: first <= 150 ms, warm median <= 60 ms, size <= 60 KB."""
import argparse
import gc
import io
import math
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from propsvc import create_app  # noqa: E402
from propsvc.extensions import db  # noqa: E402

WARM_MS_TARGET, FIRST_MS_TARGET, SIZE_TARGET = 60.0, 150.0, 60 * 1024


def build(tmp: Path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench",
                      "UPLOAD_FOLDER": str(tmp / "uploads"), "PDF_CACHE_DIR": "", "PDF_WARM": "off"})
    from flask_migrate import upgrade

    from propsvc.cli import ensure_departments
    from propsvc.core.timefmt import utcnow
    from propsvc.demo import demo_community_id, seed_all
    from propsvc.events import services
    from propsvc.events.models import CommunityEvent
    from propsvc.photos.services import save_photo
    from propsvc.registry.models import Building, Unit

    with app.app_context():
        upgrade()
        ensure_departments()
        for _line in seed_all():
            pass
        cid = demo_community_id()
        events = {e.state: e for e in db.session.scalars(select(CommunityEvent).where(CommunityEvent.community_id == cid))}
        open_ev, held = events["published"], events["closed"]
        open_ev.capacity = 80
        taken = {s.unit_id for s in open_ev.signups}
        units = [u for u in db.session.scalars(select(Unit.id).join(Building).where(Building.community_id == cid)
                                               .order_by(Unit.id).limit(80)) if u not in taken][:40]
        for n, unit_id in enumerate(units):
            services.sign_up(open_ev, None, unit_id=unit_id, name=f"住户{n}", people=1 + n % 3,
                             phone=f"1391234{n:04d}", now=utcnow() - timedelta(minutes=1))
        for color in ("#c33", "#3a6"):
            buf = io.BytesIO()
            Image.new("RGB", (1600, 1200), color).save(buf, "JPEG", quality=85)
            buf.seek(0)
            s = save_photo(buf, folder=f"c{cid}/events")
            held.photos = [*held.photos, {"path": s.path, "thumb": s.thumb_path}]
        db.session.commit()
        urls = {"poster": f"/events/{open_ev.id}/poster.pdf", "signups": f"/events/{open_ev.id}/signups.pdf",
                "report": f"/events/{held.id}/report.pdf"}
        db.session.remove()
    gc.freeze()
    return app, urls


def signed_in(app):
    import re

    from propsvc.demo import DEMO_PASSWORD

    client = app.test_client()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": "manager", "password": DEMO_PASSWORD,
                                       "csrf_token": token}).status_code == 303
    return client


def timed(client, url):
    t = time.perf_counter()
    resp = client.get(url)
    ms = (time.perf_counter() - t) * 1000
    assert resp.status_code == 200 and resp.mimetype == "application/pdf", (url, resp.status_code)
    return ms, resp.get_data()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, urls = build(Path(tmp))
        from propsvc.documents.pdf import warm_pdf

        with app.app_context():
            warm_pdf(app)
        client = signed_in(app)
        print(f"events PDFs: first after warm_pdf · warm median/p95 of {args.n} renders (PDF cache off) · size")
        missed = False
        for name, url in urls.items():
            first, body = timed(client, url)
            warm = sorted(timed(client, url)[0] for _ in range(args.n))
            med, p95 = statistics.median(warm), warm[max(math.ceil(0.95 * len(warm)) - 1, 0)]
            flags = [f for f, bad in (("first>150", first > FIRST_MS_TARGET), ("warm>60", med > WARM_MS_TARGET),
                                      ("size>60K", len(body) > SIZE_TARGET)) if bad]
            missed |= bool(flags)
            print(f"  {name:8} first {first:7.1f} ms · warm {med:6.1f} / {p95:6.1f} ms · {len(body) / 1024:5.1f} KB"
                  f"{'  MISSED: ' + ', '.join(flags) if flags else ''}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

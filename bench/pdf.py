"""Render time and size of the work order PDF (派工单), cold and warm.

Run on demand, never from the tests:

    .venv/bin/python bench/pdf.py [-n 50]

Builds the app on a temporary SQLite file, loads the demo, takes in one repair ticket on
3-2-1201 with four photos and dispatches it, then measures GET /tickets/<id>/workorder.pdf
through the Flask test client (signed in as the demo front desk):

  * process-cold: the very first request (template compilation, font lookup, font set-up);
  * thread-cold: the first request in each of several new threads (each thread sets up its
    own font configuration: the @font-face font is copied and scanned once per thread);
  * warm: N further requests in one thread (median and p95), plus the same render without
    the HTTP/database part (render_pdf only).
Targets, flagged when missed: warm median <= 60 ms per page; PDF <= 60 KB.

The warm p95 is mostly the garbage collector: a full (generation 2) collection over the
whole process heap every ~18 renders adds ~80 ms to that one request. gc.freeze() after the
app has started (e.g. in gunicorn's post_fork) removes most of it.
"""
import argparse
import io
import math
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from propsvc import create_app  # noqa: E402
from propsvc.extensions import db  # noqa: E402

WARM_MS_TARGET = 60.0
SIZE_TARGET = 60 * 1024


def p95(values):
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def photo(color):
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), color).save(buf, "JPEG", quality=85)
    buf.seek(0)
    return buf


def build(tmp: Path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}", "SECRET_KEY": "bench",
                      "UPLOAD_FOLDER": str(tmp / "uploads")})
    from flask_migrate import upgrade

    from propsvc.auth.models import Department, User
    from propsvc.cli import ensure_departments
    from propsvc.photos.services import save_photo
    from propsvc.registry.demo import seed_demo
    from propsvc.registry.models import Building, Unit
    from propsvc.tickets import services
    from propsvc.tickets.models import Category

    with app.app_context():
        upgrade()
        ensure_departments()
        seed_demo()
        unit = db.session.scalar(select(Unit).join(Unit.building).where(
            Building.number == "3", Unit.entrance == 2, Unit.number == "1201"))
        desk = db.session.scalar(select(User).where(User.username == "front_desk"))
        sup = db.session.scalar(select(User).where(User.username == "supervisor"))
        community_id = unit.community_id
        services.ensure_defaults(community_id)
        cat = db.session.scalar(select(Category).where(Category.community_id == community_id,
                                                        Category.name == "水电气维修"))
        t = services.create_ticket(community_id, services.Intake(
            kind="repair", channel="phone", category_id=cat.id, urgency="normal", unit_id=unit.id,
            description="卫生间漏水，楼下天花板滴水，已关闭总阀。业主下午两点后在家，请提前电话联系。"), desk)
        ev = services.timeline(t)[0]
        stored = [save_photo(photo(c), folder=f"c{community_id}/tickets") for c in ("red", "green", "blue", "gray")]
        services.attach_photos(t, ev, stored, desk)
        eng = db.session.scalar(select(Department).where(Department.code == "engineering"))
        services.dispatch(t, sup, eng.id, None, "检查卫生间防水层及楼下天花板，必要时更换止水阀。")
        db.session.commit()
        ticket_id = t.id
        db.session.remove()
        db.engine.dispose()
    return app, ticket_id


def signed_in(app):
    import re

    from propsvc.registry.demo import DEMO_PASSWORD

    client = app.test_client()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    resp = client.post("/login", data={"username": "front_desk", "password": DEMO_PASSWORD, "csrf_token": token})
    assert resp.status_code == 303, resp.status_code
    return client


def timed_get(client, url):
    started = time.perf_counter()
    resp = client.get(url)
    elapsed = time.perf_counter() - started
    assert resp.status_code == 200 and resp.mimetype == "application/pdf", resp.status_code
    return elapsed, resp.get_data()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=50, help="warm renders (default 50)")
    ap.add_argument("--threads", type=int, default=5, help="new threads for the thread-cold figure (default 5)")
    ap.add_argument("--out", help="also write the PDF to this file")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="propsvc-pdf-bench-") as tmp:
        app, ticket_id = build(Path(tmp))
        client = signed_in(app)
        url = f"/tickets/{ticket_id}/workorder.pdf"
        first, pdf = timed_get(client, url)

        cold = []
        for _ in range(args.threads):
            out = {}
            th = threading.Thread(target=lambda: out.update(t=timed_get(client, url)[0]))
            th.start()
            th.join()
            cold.append(out["t"])

        for _ in range(3):
            timed_get(client, url)
        warm = [timed_get(client, url)[0] for _ in range(args.n)]

        # The render alone (no sign-in check, queries or response): the document service's share.
        from flask_login import login_user

        from propsvc.auth.models import User
        from propsvc.documents import render_pdf
        from propsvc.tickets.views import load_ticket
        from propsvc.tickets.workorder import LAYOUTS, fit, workorder_data

        from flask import g

        from propsvc.registry.models import Community
        from propsvc.tickets.models import Ticket

        render_only = []
        with app.test_request_context(url):
            user = db.session.scalar(select(User).where(User.username == "front_desk"))
            login_user(user)
            g.community = db.session.get(Community, db.session.get(Ticket, ticket_id).community_id)
            data = fit(workorder_data(load_ticket(ticket_id), user), *LAYOUTS[0])
            for _ in range(args.n):
                started = time.perf_counter()
                render_pdf("tickets/workorder_pdf.html", page_size="A5", max_pages=1, wo=data)
                render_only.append(time.perf_counter() - started)
            db.session.remove()
        with app.app_context():
            db.engine.dispose()

    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True).stdout.decode()
    pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode().splitlines()[2:]
    if args.out:
        Path(args.out).write_bytes(pdf)

    ms = lambda s: f"{s * 1000:7.1f} ms"  # noqa: E731
    print(f"work order PDF bench · GET {url} · {args.n} warm renders")
    print(f"PDF: {len(pdf):,} B, {pages} page(s), fonts: {'; '.join(' '.join(f.split()[:1]) for f in fonts)}")
    print(f"process-cold (first request):          {ms(first)}")
    print(f"thread-cold (first in a new thread):   median {ms(statistics.median(cold))}  max {ms(max(cold))}")
    print(f"warm request:                          median {ms(statistics.median(warm))}  p95 {ms(p95(warm))}")
    print(f"warm render_pdf only:                  median {ms(statistics.median(render_only))}  "
          f"p95 {ms(p95(render_only))}")
    flags = []
    if statistics.median(warm) * 1000 > WARM_MS_TARGET:
        flags.append(f"warm median > {WARM_MS_TARGET:g} ms")
    if len(pdf) > SIZE_TARGET:
        flags.append(f"PDF > {SIZE_TARGET // 1024} KB")
    print("!! " + "; ".join(flags) if flags else f"within targets (warm median <= {WARM_MS_TARGET:g} ms, "
                                                   f"PDF <= {SIZE_TARGET // 1024} KB)")
    return 1 if flags else 0


if __name__ == "__main__":
    sys.exit(main())

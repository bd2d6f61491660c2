"""Fees bench [D4]: a month's bills for N units (default 10,000) and a batch of M 催缴通知单
(default 500) as one PDF: wall time and peak memory (tracemalloc: Python allocations; and the
process's max RSS).

Run on demand, never from the tests:

    .venv/bin/python bench/fees.py [--units 10000] [--notices 500] [--db sqlite|URL]

Builds the app on a temporary SQLite file (or the given database URL, which it fills: use an
empty scratch database), one community with N units in 100-unit buildings, runs
fees.services.generate_month once (timed), again (the idempotent re-run: creates nothing), then
issues M notices for the first M units (documents created + approved) and renders them to one
PDF (timed separately)."""
import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--notices", type=int, default=500)
    ap.add_argument("--db", default="sqlite")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="fees-bench-")
    url = f"sqlite:///{tmp}/bench.db" if args.db == "sqlite" else args.db
    os.environ["DATABASE_URL"] = url

    from sqlalchemy import insert, select

    from propsvc import create_app
    from propsvc.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "PDF_CACHE_DIR": "",
                      "UPLOAD_FOLDER": f"{tmp}/uploads"})
    with app.app_context(), app.test_request_context():
        from propsvc.cli import ensure_departments
        from propsvc.fees import services
        from propsvc.fees.models import Bill
        from propsvc.registry.models import Building, Community, Unit
        from propsvc.registry.setup import setup_community

        db.create_all()
        ensure_departments()
        c = Community(name="基准花园", code="BENCH", stamp_name="基准花园物业服务中心")
        db.session.add(c)
        db.session.flush()
        setup_community(c.id)
        per = 100
        for bno in range((args.units + per - 1) // per):
            b = Building(community_id=c.id, number=str(bno + 1), sort_key=bno + 1, floors=25, entrances=2)
            db.session.add(b)
            db.session.flush()
            n = min(per, args.units - bno * per)
            db.session.execute(insert(Unit), [
                {"building_id": b.id, "entrance": 1 + i % 2, "floor": 1 + i // 4, "number": f"{1 + i // 4}{i % 4 + 1:02d}",
                 "area": f"{60 + (i * 37) % 90}.{i % 100:02d}", "status": "occupied"} for i in range(n)])
        db.session.commit()

        t0 = time.perf_counter()
        r = services.generate_month(c.id, "2026-11")
        db.session.commit()
        gen_s = time.perf_counter() - t0
        tracemalloc.start()  # memory on a second month (tracemalloc slows the run it watches)
        services.generate_month(c.id, "2026-10")
        db.session.rollback()
        _cur, gen_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        t0 = time.perf_counter()
        again = services.generate_month(c.id, "2026-11")
        db.session.commit()
        rerun_s = time.perf_counter() - t0
        total = db.session.scalar(select(db.func.sum(Bill.amount_fen)))
        assert total == r.total_fen and again.created == 0
        print(f"bills: {args.units} units → {r.created} bills, {gen_s:.2f} s, peak Python memory "
              f"{gen_peak / 2**20:.1f} MiB; re-run (idempotent, 0 created) {rerun_s:.2f} s; total {total} fen")

        unit_ids = list(db.session.scalars(select(Unit.id).order_by(Unit.id).limit(args.notices)))
        t0 = time.perf_counter()
        docs = services.issue_notices(c.id, unit_ids, None)
        db.session.commit()
        issue_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        services.notices_pdf(docs[:1])  # the first render sets up the fonts: timed apart
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        pdf = services.notices_pdf(docs)
        pdf_s = time.perf_counter() - t0
        tracemalloc.start()
        services.notices_pdf(docs[:min(20, len(docs))])
        _cur, pdf_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"first notice PDF (font setup): {first_s:.2f} s")
        print(f"notices: {len(docs)} issued in {issue_s:.2f} s; batch PDF {pdf_s:.2f} s "
              f"({pdf_s / max(len(docs), 1) * 1000:.0f} ms/page), {len(pdf) / 2**20:.2f} MiB, "
              f"peak Python memory of a 20-page batch {pdf_peak / 2**20:.1f} MiB")
    print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

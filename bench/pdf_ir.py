"""Instructions per printed document: a figure this VM's speed swings do not move.

bench/pdf.py times each document in milliseconds, and this host's speed drifts by tens of
percent over minutes, so a change of a few percent is lost in it even when the two checkouts
are measured alternately. This bench counts the machine instructions one request for each
document executes (data, template, layout, PDF), with valgrind's callgrind, in one process over
the same database as bench/pdf.py: a warm-up request first, then the median of N counted
requests (two counts of one document differ by ~0.1 %; a collection of the garbage collector's
oldest generation can land in one of them, hence the median). Instructions are not time
(cache misses, for one, are not counted), but a change that cuts 10 % of them cuts about as
much of the time, and it shows the same on any day.

    .venv/bin/python bench/pdf_ir.py                      # this checkout, every document
    .venv/bin/python bench/pdf_ir.py --compare HEAD~1     # and another revision, side by side
    .venv/bin/python bench/pdf_ir.py --only "assess report,slip" -n 3

Needs valgrind (`apt-get install valgrind`). Under callgrind a request runs ~50 times slower:
the whole table takes ~6 minutes a checkout (with --compare the two run at the same time, one
a core).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


CHILD = r"""
import json, os, sys
sys.argv = ["pdf.py", "--root", {root!r}]
sys.path.insert(0, {bench!r})
import pdf as b
from pathlib import Path
app = b.bench_app(Path({tmp!r}))
b.settle()
client = b.signed_in(app)
labels = ["start"]
os.getppid()  # the marker: callgrind writes its counts at each call (--dump-before=getppid)
for name, url in json.loads(Path({urls!r}).read_text()):
    for _ in range({warm}):
        b.timed_get(client, url)
    os.getppid()
    labels.append("-")
    for _ in range({n}):
        b.timed_get(client, url)
        os.getppid()
        labels.append(name)
Path({labels!r}).write_text(json.dumps(labels))
"""


def measure(args, root: Path) -> list[dict]:
    """Build the bench's database with the code of the checkout at `root`, then count in a
    callgrind child."""
    sys.argv = ["pdf.py", "--root", str(root)]  # bench/pdf.py imports propsvc from --root
    sys.path.insert(0, str(HERE / "bench"))
    import pdf as b

    only = {x.strip() for x in args.only.split(",")} if args.only else None
    with tempfile.TemporaryDirectory(prefix="propsvc-pdf-ir-") as tmp:
        app, ticket_id, docs = b.build(Path(tmp))
        items = [(name, url) for name, url, _fn in b.documents(app, ticket_id, docs) + b.later_documents(app)
                 if not only or name in only or name.split()[0] in only]
        with app.app_context():
            b.db.engine.dispose()
        urls, labels, out = Path(tmp) / "urls.json", Path(tmp) / "labels.json", Path(tmp) / "cg.out"
        urls.write_text(json.dumps(items))
        code = CHILD.format(root=str(root), bench=str(HERE / "bench"), tmp=tmp, urls=str(urls), labels=str(labels),
                            warm=args.warm, n=args.n)
        env = dict(os.environ, PYTHONHASHSEED="0")
        res = subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}",
                              sys.executable, "-c", code], capture_output=True, text=True, env=env)
        if res.returncode != 0 or not labels.is_file():
            raise SystemExit(f"the counting process failed:\n{res.stderr[-3000:]}")
        names = json.loads(labels.read_text())
        counts: dict[str, list[int]] = {}
        for part, name in enumerate(names, start=1):  # cg.out.K: what ran before the K-th marker
            if name in ("start", "-"):
                continue
            text = (Path(tmp) / f"cg.out.{part}").read_text()
            total = next(int(line.split()[1]) for line in text.splitlines() if line.startswith("totals:"))
            counts.setdefault(name, []).append(total)
    return [{"name": name, "url": url, "counts": counts.get(name, [])} for name, url in items]


def print_table(runs: list[tuple[str, list[dict]]], n: int) -> None:
    print(f"PDF instructions · millions of instructions a request (valgrind callgrind), median of {n} after a warm-up")
    labels = [label for label, _rows in runs]
    by_name: dict[str, dict[str, float]] = {}
    for label, rows in runs:
        for r in rows:
            if r["counts"]:
                by_name.setdefault(r["name"], {})[label] = statistics.median(r["counts"]) / 1e6
    head = f"{'document':22s}" + "".join(f"{label[:12]:>14s}" for label in labels)
    if len(labels) == 2:
        head += f"{'change':>9s}"
    print(head)
    for name, figures in by_name.items():
        line = f"{name:22s}" + "".join(f"{figures[label]:12.1f} M" if label in figures else f"{'—':>14s}"
                                       for label in labels)
        if len(labels) == 2 and all(label in figures for label in labels):
            a, b = figures[labels[0]], figures[labels[1]]
            line += f"{(b - a) / a * 100:+8.1f}%"
        print(line)


def compare(args) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="propsvc-ir-rev-"))
    tree = tmp / "tree"
    subprocess.run(["git", "-C", str(HERE), "worktree", "add", "--detach", str(tree), args.compare], check=True,
                   capture_output=True)
    order = [(args.compare[:10], tree), ("this", HERE)]
    try:
        procs = []
        for label, root in order:  # the two at once: counts do not depend on the other's load
            cmd = [sys.executable, str(HERE / "bench" / "pdf_ir.py"), "--root", str(root), "--json",
                   str(tmp / f"{label}.json"), "-n", str(args.n), "--warm", str(args.warm)]
            if args.only:
                cmd += ["--only", args.only]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL))
        if any(p.wait() != 0 for p in procs):
            return 1
        runs = [(label, json.loads((tmp / f"{label}.json").read_text())) for label, _root in order]
    finally:
        subprocess.run(["git", "-C", str(HERE), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(runs, args.n)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=3, help="counted requests per document (default 3)")
    ap.add_argument("--warm", type=int, default=2, help="uncounted requests per document first (default 2)")
    ap.add_argument("--only", help="comma-separated document names (as bench/pdf.py prints them)")
    ap.add_argument("--root", help="count this checkout instead of the one this file is in")
    ap.add_argument("--json", help="write the counts to this file (used by --compare)")
    ap.add_argument("--compare", metavar="REV", help="also count git revision REV (a temporary worktree)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("needs valgrind: apt-get install valgrind")
        return 2
    if args.compare:
        return compare(args)
    root = Path(args.root).resolve() if args.root else HERE
    rows = measure(args, root)
    if args.json:
        Path(args.json).write_text(json.dumps(rows))
    else:
        print_table([(root.name, rows)], args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())

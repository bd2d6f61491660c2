"""Pages that flow and seals that match (issue 15, items 4 and 5).

A printed document longer than a page repeats its title, serial and QR at the top of every
page, repeats its table header, numbers its pages 第 n 页 / 共 m 页, keeps the signatures and
the seal together on the last page, prints every name in full and never breaks a number inside
a cell (templates/documents/base_pdf.html: CSS paged media, no manual pagination). The seal's
text and the signature line under it come from the community's settings (Community.stamp_name,
Community.sign_label) and are frozen at approval. The text is read back page by page with
pdftotext."""
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from conftest import client_for, post
from propsvc.core.models import Event
from propsvc.documents import service
from propsvc.documents.models import DocKind, Document
from propsvc.extensions import db
from propsvc.registry.models import Community

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")

RARE = "𠮷"  # an Extension-B character: only the whole fallback font has it
LONG_NAME = f"{RARE}野家祖传红木雕花八仙桌连同配套的太师椅八把及紫檀木博古架两组（含玻璃门与全部抽屉）"
SEAL = "东湖花园物业服务中心"
SIGN = "东湖花园物业服务中心（盖章）"


class Thing:
    """Any object a document is issued for: the service needs its class name and id."""

    def __init__(self, id_):
        self.id = id_


def pages_of(pdf: bytes) -> int:
    out = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def page_text(pdf: bytes, n: int, *args: str) -> str:
    return subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), *args, "-", "-"], input=pdf,
                          capture_output=True, check=True).stdout.decode()


def flat(text: str) -> str:
    return "".join(text.split())


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text without whitespace (a name wrapped over two lines reads as one)."""
    return [flat(page_text(pdf, n, "-raw")) for n in range(1, pages_of(pdf) + 1)]


@pytest.fixture
def site(make, app):
    c = make.community("东湖花园")
    with app.app_context():
        community = db.session.get(Community, c.id)
        community.stamp_name, community.sign_label = SEAL, SIGN
        db.session.commit()
    return {"community": c, "manager": make.user("manager", communities=[c]),
            "front_desk": make.user("front_desk", communities=[c])}


def slip_data(n_items: int, long_name: bool = True) -> dict:
    items = [{"name": f"纸箱{i:02d}号（书籍）", "qty": i} for i in range(1, n_items + 1)]
    if long_name:
        items[6] = {"name": LONG_NAME, "qty": 2}
    return {"unit": "3栋2单元1201", "applicant": "王建国", "applicant_role": "业主", "carrier_name": "李师傅",
            "carrier_id": "1101**********1233", "carrier_phone": "138****5678", "items": items,
            "moving_on": "2026-12-20", "vehicle_plate": "粤B12345", "supervisor": "张主管",
            "supervisor_at": "2026-12-19 09:30", "manager": "刘经理", "approved_at": "2026-12-19 10:00"}


def new_slip(app, community_id, data, *, approve=False, actor_id=None) -> int:
    with app.app_context():
        from propsvc.auth.models import User

        doc = service.create(DocKind.SLIP, Thing(1), data, community_id=community_id,
                             valid_from=date(2026, 12, 20), valid_until=date(2026, 12, 20))
        if approve:
            service.approve(doc, db.session.get(User, actor_id))
        db.session.commit()
        return doc.id


def render(app, doc_id) -> bytes:
    with app.app_context():
        return service.pdf(db.session.get(Document, doc_id))


def serial_of(app, doc_id) -> str:
    with app.app_context():
        return db.session.get(Document, doc_id).serial


def test_slip_of_40_lines_flows_over_pages_with_title_serial_qr_and_numbers(app, site):
    """A whole move-out on one slip: ≥ 2 pages, each with the title, serial, QR and 第 n 页 / 共 m
    页; every item name in full (the long one with 𠮷 too); the signatures and the seal only on
    the last page."""
    doc_id = new_slip(app, site["community"].id, slip_data(40), approve=True, actor_id=site["manager"].id)
    serial = serial_of(app, doc_id)
    pdf = render(app, doc_id)
    texts = page_texts(pdf)
    m = len(texts)
    assert m >= 2
    for n, text in enumerate(texts, 1):
        assert "物品放行条" in text and serial in text, n
        assert f"第{n}页/共{m}页" in text, (n, text[-80:])
        if "纸箱" in text:
            assert "序号物品名称数量" in text, n  # the items' header repeats over the rows
    # One QR code per page: the full header's on page 1, the running header's after.
    listing = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    qr_pages = {int(line.split()[0]) for line in listing.splitlines()[2:] if line.split() and line.split()[9] == "no"}
    assert qr_pages == set(range(1, m + 1))
    whole = "".join(texts)
    for item in slip_data(40)["items"]:
        assert flat(item["name"]) in whole, item["name"]
    assert LONG_NAME in whole
    # The signatures, the issuer line and the seal: on the last page only, together.
    for marker in ("管理处经理", "值班主管", SIGN):
        assert marker in texts[-1] and all(marker not in t for t in texts[:-1]), marker
    assert all(ch in texts[-1] for ch in SEAL)


def test_slip_rows_never_split_and_numbers_stay_whole(app, site):
    """An item line is never cut between pages (its number, name and quantity on one page) and a
    quantity never breaks inside its cell."""
    data = slip_data(40)
    data["items"][20]["qty"] = 1234567
    doc_id = new_slip(app, site["community"].id, data)
    pdf = render(app, doc_id)
    pages = [page_text(pdf, n, "-layout") for n in range(1, pages_of(pdf) + 1)]
    for i, item in enumerate(data["items"], 1):
        holders = [n for n, text in enumerate(pages) if flat(item["name"])[:6] in flat(text)]
        assert len(holders) == 1, (i, holders)
    assert any(re.search(r"纸箱21号（书籍）\s+1234567\b", text) for text in pages)


def test_short_slip_is_one_page_numbered_1_of_1(app, site):
    doc_id = new_slip(app, site["community"].id, slip_data(8, long_name=False))
    pdf = render(app, doc_id)
    assert pages_of(pdf) == 1
    assert "第1页/共1页" in page_texts(pdf)[0]


def test_seal_and_signature_line_come_from_the_community_settings(app, site):
    """The seal's text and the signature line's label are the community's (stamp_name,
    sign_label); change them and a reprinted draft shows the new ones, while an approved document
    keeps what it was approved with."""
    c, mgr = site["community"], site["manager"]
    approved = new_slip(app, c.id, slip_data(3, long_name=False), approve=True, actor_id=mgr.id)
    draft = new_slip(app, c.id, slip_data(3, long_name=False))
    assert SIGN in page_texts(render(app, draft))[0]
    manager = client_for(app, mgr)
    resp = post(manager, "/admin/seal", {"stamp_name": "东湖花园管理处", "sign_label": "东湖花园管理处（盖章）"})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    with app.app_context():
        community = db.session.get(Community, c.id)
        assert (community.stamp_name, community.sign_label) == ("东湖花园管理处", "东湖花园管理处（盖章）")
        ev = db.session.scalars(select(Event).where(Event.action == "community.seal_changed")).one()
        assert ev.data["stamp_name"] == {"old": SEAL, "new": "东湖花园管理处"}
    text = page_texts(render(app, draft))[0]
    assert "东湖花园管理处（盖章）" in text and SIGN not in text
    # The approved slip is frozen: seal and line as approved.
    with app.app_context():
        doc = db.session.get(Document, approved)
        issue = doc.data["_issue"]
        assert (issue["stamp_name"], issue["sign_label"]) == (SEAL, SIGN)
    assert SIGN in page_texts(render(app, approved))[0]
    # Approved now: sealed with the new text and the matching line.
    now = new_slip(app, c.id, slip_data(3, long_name=False), approve=True, actor_id=mgr.id)
    text = page_texts(render(app, now))[0]
    assert "东湖花园管理处（盖章）" in text and all(ch in text for ch in "东湖花园管理处")


def test_blank_sign_label_follows_the_seal(app, site):
    """Without a sign_label the line is the seal's own text + （盖章）: they always match."""
    c = site["community"]
    manager = client_for(app, site["manager"])
    assert post(manager, "/admin/seal", {"stamp_name": "西湖物业服务中心", "sign_label": ""}).status_code == 303
    text = page_texts(render(app, new_slip(app, c.id, slip_data(3, long_name=False))))[0]
    assert "西湖物业服务中心（盖章）" in text


def test_seal_settings_refuse_bad_input_and_strangers(app, site, make):
    c = site["community"]
    manager = client_for(app, site["manager"])
    resp = post(manager, "/admin/seal", {"stamp_name": "", "sign_label": "x" * 65})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "印章文字" in html and "最多 64 个字" in html
    desk = client_for(app, site["front_desk"])
    assert desk.get("/admin/seal").status_code == 403
    assert post(desk, "/admin/seal", {"stamp_name": "假印章", "sign_label": ""}).status_code == 403
    with app.app_context():
        assert db.session.get(Community, c.id).stamp_name == SEAL


def test_extension_receipt_number_is_not_broken(app, site):
    """The extension's receipt number prints on one line (pdftotext reads it whole)."""
    receipt = "SJ2026120800012345"
    data = {"unit": "3栋2单元1201", "owner": "王建国", "lead_company": "鑫源装饰", "lead_name": "李强",
            "permit_serial": "XK2026-0001", "requested_by": "李强", "requester_role": "装修负责人",
            "reason": "材料未到", "starts_on": "2026-09-01", "old_end": "2026-12-01", "new_end": "2027-01-15",
            "fee": "1200.00", "receipt_no": receipt}
    with app.app_context():
        doc = service.create(DocKind.EXTENSION, Thing(2), data, community_id=site["community"].id,
                             valid_from=date(2026, 9, 1), valid_until=date(2027, 1, 15))
        db.session.commit()
        doc_id = doc.id
    pdf = render(app, doc_id)
    lines = page_text(pdf, 1, "-layout").splitlines()
    assert any(receipt in line for line in lines), [line for line in lines if "SJ" in line or "收据" in line]
    assert "东湖花园物业服务中心（盖章）" in flat(page_text(pdf, 1))


# --- the board and the briefing: rendered from plain data, as their views pass it ----------

def board_data(n_rows: int) -> list[dict]:
    start = date(2026, 10, 1)
    rows = [{"unit": f"3栋{1 + i % 2}单元{(i // 2) + 2:d}01", "lead_company": f"装饰公司{i:02d}", "lead_name": f"负责人{i}",
             "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=90)).isoformat(), "started": True,
             "overdue": i % 7 == 0, "days_over": 3 if i % 7 == 0 else 0} for i in range(n_rows)]
    floors = [{"floor": (i // 2) + 2, "rows": rows[i:i + 2]} for i in range(0, n_rows, 2)]
    return [{"building_id": 1, "building": "3栋", "floors": floors, "count": n_rows,
             "overdue": sum(r["overdue"] for r in rows)}]


def test_board_with_many_renovations_repeats_title_and_header(app):
    """[R7] A board longer than a page: page 2 has the title, the date and the column header."""
    from propsvc.documents import render_pdf

    with app.test_request_context():
        pdf = render_pdf("renovation/board_pdf.html", page_size="A4", board=board_data(90),
                         community={"name": "东湖花园"}, scope="全部楼栋", today="2026-12-08",
                         printed_by="张三", printed_at="2026-12-08 09:00")
    texts = page_texts(pdf)
    assert len(texts) >= 2
    for n, text in enumerate(texts, 1):
        assert "装修动态表" in text and "2026-12-08" in text, n
        assert "楼层房号装修期限·状态装修公司·负责人" in text, n
        assert f"第{n}页/共{len(texts)}页" in text, n
    whole = "".join(texts)
    assert all(f"装饰公司{i:02d}·负责人{i}" in whole for i in range(90))


def briefing_data(n_stewards: int) -> dict:
    stewards = [{"name": f"管家{i:02d}", "buildings": [f"{i}栋"], "received": i, "resolved": i, "overdue": 0,
                 "patrols_done": 1, "patrols_planned": 2, "patrols_missed": 1, "coverage": "", "summary": "正常",
                 "problems": [{"place": f"{i}栋大堂", "item": "照明", "note": "灯不亮", "ticket": None}],
                 "other_dept": [], "unsolved": [{"serial": f"BX2026120{i:04d}", "place": f"{i}栋", "category": "电梯",
                                                 "state": "处理中", "department": "工程部", "reason": "等配件"}]}
                for i in range(n_stewards)]
    return {"meeting_day": "2026-12-08", "day_label": "12月7日", "meeting_label": "12月8日 早会",
            "priorities": "电梯年检", "priorities_by": "", "priorities_at": "",
            "totals": {"received": 1, "resolved": 1, "overdue": 0, "patrols_done": 1, "problems": 1},
            "teams": [{"name": "客服一组", "stewards": stewards}]}


def test_briefing_over_two_pages_repeats_title_and_table_header(app):
    from propsvc.documents import render_pdf

    with app.test_request_context():
        pdf = render_pdf("patrols/briefing_pdf.html", page_size="A4", b=briefing_data(50),
                         community={"name": "东湖花园"}, printed_by="张三", printed_at="2026-12-08 09:00")
    texts = page_texts(pdf)
    assert len(texts) >= 3
    for n, text in enumerate(texts, 1):
        assert "早会简报" in text and f"第{n}页/共{len(texts)}页" in text, n
    # 50 stewards: the summary table runs onto page 2 and its header row is printed again there.
    assert "管家49" in texts[1] and "班组管家分管楼栋" in texts[1]
    # The signature line (主持人/记录人) only on the last page; serials whole.
    assert "主持人" in texts[-1] and all("主持人" not in t for t in texts[:-1])
    layout = "".join(page_text(pdf, n, "-layout") for n in range(1, len(texts) + 1))
    assert all(f"BX2026120{i:04d}" in layout for i in range(50))


# --- the HTML pages printed from the browser: the daily summaries and the ticket analysis ---

def print_from_chromium(html: str, tmp_path) -> bytes:
    """Print a page as the browser would (Ctrl+P): Debian's chromium, headless, with the app's
    stylesheet read from static/ (scripts left out)."""
    from propsvc.core.web import STATIC_ROOT

    css = (STATIC_ROOT / "css" / "app.css").resolve().as_uri()
    html = re.sub(r'<link rel="stylesheet" href="[^"]+">', f'<link rel="stylesheet" href="{css}">', html)
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    out = tmp_path / "page.pdf"
    subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--print-to-pdf={out}", page.as_uri()], capture_output=True, timeout=120, check=True)
    return out.read_bytes()


@pytest.mark.parametrize("url, name, title", [("/tickets/analysis", "analysis", "工单统计分析"),
                                              ("/patrols/summaries", "summary", "工作总结")])
def test_html_pages_print_with_title_and_page_numbers(app, site, tmp_path, url, name, title):
    """The summary and analysis pages are printed from the browser: their print stylesheet
    (static/css/app.css, @media print) puts the page's title at the top of every page and
    第 n 页 / 共 m 页 at the bottom, repeats table headers and leaves the filters off."""
    from propsvc.core.web import STATIC_ROOT

    manager = client_for(app, site["manager"])
    resp = manager.get(url)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert f'<main id="main" class="print-{name}">' in html
    css = (STATIC_ROOT / "css" / "app.css").read_text(encoding="utf-8")
    assert f'@page {name}{{@top-center{{content:"{title}"' in css and "counter(pages)" in css
    assert "thead{display:table-header-group}" in css
    if not shutil.which("chromium"):
        pytest.skip("chromium not installed: the printed pages are not checked")
    pdf = print_from_chromium(html, tmp_path)
    texts = page_texts(pdf)
    for n, text in enumerate(texts, 1):
        assert title in text and f"第{n}页/共{len(texts)}页" in text, (n, text[:200])
    assert "开始日期" not in "".join(texts)  # the filter form is not printed


def test_running_header_names_the_community_given_by_name(app):
    """A document given its community as a name (the monthly report) names it in the running
    header of its later pages, as those given the community's record do (it printed nothing)."""
    from propsvc.assessment.report import Figure
    from propsvc.documents import render_pdf

    figures = []
    for s in range(30):  # sections of three figures each: well over a page
        run = [Figure(f"类别{s:02d}", f"指标{s:02d}-{i}", i, i) for i in range(3)]
        run[0].span, run[0].run = 3, run
        figures += run
    with app.test_request_context():
        pdf = render_pdf("assessment/report_pdf.html", page_size="A4", month="2026-11", before="2026-10",
                         figures=figures, community="东湖花园")
    texts = page_texts(pdf)
    assert len(texts) >= 2
    for n, text in enumerate(texts[1:], 2):
        assert "东湖花园月度管理报告2026-11" in text, n  # the running header (the footer has ·)

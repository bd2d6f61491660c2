"""Size of a release slip PDF with and without an Extension-B character (𠮷), rendered by the
checkout given as argv[1]: `.venv/bin/python bench/pdf_rare.py /path/to/checkout` (issue 15 item 6)."""
import sys, tempfile, subprocess, datetime
root = sys.argv[1]
sys.path.insert(0, root)
from propsvc import create_app
from propsvc.documents.pdf import render_pdf, qr_img
from markupsafe import Markup
tmp = tempfile.mkdtemp()
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "PDF_CACHE_DIR": "", "TESTING": True,
                  "UPLOAD_FOLDER": tmp})
def ctx(name):
    d = {"unit": "3-2-1201", "applicant": name, "applicant_role": "业主", "consent": "", "carrier_name": name,
         "carrier_id": "1101**********1233", "carrier_phone": "138****2222",
         "items": [{"name": "旧沙发", "qty": "1"}, {"name": "冰箱", "qty": "1"}], "moving_on": "2025-05-01",
         "vehicle_plate": "京A12345", "signature_src": None, "sign_on_paper": True, "supervisor": "赵工",
         "supervisor_at": "2025-05-01 09:00", "manager": "王经理", "approved_at": "2025-05-01 09:30"}
    doc = {"kind": "slip", "title": "物品放行条", "serial": "FX20250501001", "state": "valid", "draft": False,
           "revoked": False, "valid_from": "2025-05-01", "valid_until": "2025-05-01", "approved_on": "2025-05-01",
           "community": "阳光花园", "verify_url": "https://example.org/v/ABCD"}
    return {"doc": doc, "d": d, "watermark": None, "seal": Markup(""), "verify": {"url": doc["verify_url"],
            "serial": doc["serial"], "hint": "扫码核验真伪"}, "cn_date": lambda v: str(v or "")}
with app.test_request_context():
    for name in ("王建国", "𠮷野家"):
        pdf = render_pdf("documents/slip_pdf.html", page_size="A5", **ctx(name))
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode()
        fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode().splitlines()[2:]
        print(f"{name}: {len(pdf)/1024:.1f} KB, 𠮷 in text: {'𠮷' in text}; fonts: {[' '.join(f.split()[:2]) for f in fonts]}")

"""Checkpoints: a supervisor adds a place, prints its QR; the steward's scan stamps the patrol."""
import subprocess

from sqlalchemy import select

from conftest import client_for, post
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols.models import Checkpoint


def test_d3_supervisor_adds_a_checkpoint_and_prints_its_qr(app, make, tmp_path):
    c = make.community()
    b = make.building(c, "3")
    sup = client_for(app, make.user("supervisor", communities=[c]))
    bad = post(sup, "/patrols/checkpoints", {"name": "", "building_id": "0"})
    assert bad.status_code == 422 and "请填写巡查点名称" in bad.get_data(as_text=True)
    assert post(sup, "/patrols/checkpoints", {"name": "3栋大堂", "building_id": str(b.id)}).status_code == 303
    with app.app_context():
        cp = db.session.scalars(select(Checkpoint)).one()
        assert cp.building_id == b.id and len(cp.token) >= 16
        assert db.session.scalars(select(Event).where(Event.action == "checkpoint.created")).one()
        cp_id, token = cp.id, cp.token
    assert "3栋大堂" in sup.get("/patrols/checkpoints").get_data(as_text=True)
    pdf = sup.get(f"/patrols/checkpoints/{cp_id}/qr.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    path = tmp_path / "cp.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "巡查点：3栋大堂" in text
    assert post(sup, f"/patrols/checkpoints/{cp_id}/active").status_code == 303
    with app.app_context():
        assert db.session.get(Checkpoint, cp_id).active is False
    steward = client_for(app, make.user("steward", communities=[c]))
    assert steward.get(f"/patrols/checkpoint/{token}").status_code == 404  # disabled: unknown


def test_steward_cannot_manage_checkpoints_and_other_sites_get_404(app, make):
    c, other = make.community(), make.community()
    steward = client_for(app, make.user("steward", communities=[c]))
    assert steward.get("/patrols/checkpoints").status_code == 403
    with app.app_context():
        cp = Checkpoint(community_id=other.id, name="别处", token="tok-other-site-0001")
        db.session.add(cp)
        db.session.commit()
        cp_id = cp.id
    sup = client_for(app, make.user("supervisor", communities=[c]))
    assert sup.get(f"/patrols/checkpoints/{cp_id}/qr.pdf").status_code == 404

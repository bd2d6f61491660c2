"""Taps that can never go backwards [D3], on a real database: the phone numbers its taps (a
device id and a counter kept in its localStorage) and the server orders a device's taps by that
number, never by the phone's clock; every key is remembered, so a late original overtaken by
its resend is a repeat or stale, never applied twice; the answer tells saved, repeat and stale
apart (X-Tap-Status)."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols.models import PatrolKind, PatrolResult, PatrolTap
from test_patrol_runs import client_for, events, items_of, results, site, started, tap  # noqa: F401

HOUR = timedelta(hours=1)


def taps_of(app, pid):
    with app.app_context():
        return [(t.key, t.device, t.seq, t.result, t.applied) for t in db.session.scalars(
            select(PatrolTap).where(PatrolTap.patrol_id == pid).order_by(PatrolTap.id))]


def keys_of_events(app, pid):
    return [e.data["key"] for e in events(app, "patrol.tapped", pid)]


def run(app, site):
    stw = client_for(app, site["users"]["steward"])
    pid = started(app, stw, site)
    item_id = items_of(app, site["templates"][PatrolKind.BUILDING])[0][0]
    return stw, pid, item_id


@pytest.mark.parametrize("phone_off", [HOUR, -HOUR], ids=["phone-1h-fast", "phone-1h-slow"])
def test_tap_order_late_original_overtaken_by_a_newer_tap_is_stale(clock, app, site, phone_off):
    """Tap A (正常, tap 1) is held up in the network; the steward taps B (不适用, tap 2), which is
    saved; then A's original arrives. The phone's clock is an hour off either way."""
    stw, pid, item_id = run(app, site)
    phone_now = datetime.now(timezone.utc) + phone_off
    a = {"key": "tap-a", "device": "phone1", "seq": 1, "tapped_at": phone_now}
    b = {"key": "tap-b", "device": "phone1", "seq": 2, "tapped_at": phone_now + timedelta(seconds=20)}

    first = tap(stw, pid, item_id, "na", **b)
    assert first.status_code == 200 and first.headers["X-Tap-Status"] == "saved"
    clock.shift(timedelta(seconds=40))  # A arrives later still
    late = tap(stw, pid, item_id, "ok", **a)
    assert late.status_code == 200 and late.headers["X-Tap-Status"] == "stale"
    assert 'value="na" aria-pressed="true"' in late.get_data(as_text=True)  # the row as stored
    again = tap(stw, pid, item_id, "ok", **a)  # and its resend once more
    assert again.headers["X-Tap-Status"] == "stale"
    assert tap(stw, pid, item_id, "na", **b).headers["X-Tap-Status"] == "repeat"

    r = results(app, pid)[item_id]
    assert (r.result, r.tap_key) == ("na", "tap-b")
    assert keys_of_events(app, pid) == ["tap-b"]  # A was never applied: no event, no change
    assert taps_of(app, pid) == [("tap-b", "phone1", 2, "na", True), ("tap-a", "phone1", 1, "ok", False)]


@pytest.mark.parametrize("phone_off", [HOUR, -HOUR], ids=["phone-1h-fast", "phone-1h-slow"])
def test_tap_order_late_original_of_a_tap_already_saved_is_a_repeat(clock, app, site, phone_off):
    """A's first send is held up; its resend is saved; B is saved; then A's original arrives:
    the fault-injection run's case (before: applied a second time over B)."""
    stw, pid, item_id = run(app, site)
    phone_now = datetime.now(timezone.utc) + phone_off
    a = {"key": "tap-a", "device": "phone1", "seq": 1, "tapped_at": phone_now}
    b = {"key": "tap-b", "device": "phone1", "seq": 2, "tapped_at": phone_now + timedelta(seconds=30)}

    assert tap(stw, pid, item_id, "ok", **a).headers["X-Tap-Status"] == "saved"  # the resend
    clock.shift(timedelta(seconds=30))
    assert tap(stw, pid, item_id, "na", **b).headers["X-Tap-Status"] == "saved"
    clock.shift(timedelta(minutes=2))
    late = tap(stw, pid, item_id, "ok", **a)  # the original, late
    assert late.status_code == 200 and late.headers["X-Tap-Status"] == "repeat"
    assert 'value="na" aria-pressed="true"' in late.get_data(as_text=True)

    assert results(app, pid)[item_id].result == "na"
    assert keys_of_events(app, pid) == ["tap-a", "tap-b"]  # one event per tap key
    evs = events(app, "patrol.tapped", pid)
    assert [(e.data["result"], e.data["previous"], e.data["seq"]) for e in evs] == [("ok", None, 1), ("na", "ok", 2)]
    assert all(e.actor_id == site["users"]["steward"].id for e in evs)


def test_tap_same_key_twice_records_one_event(clock, app, site):
    stw, pid, item_id = run(app, site)
    first = tap(stw, pid, item_id, "ok", key="once", device="phone1", seq=7)
    again = tap(stw, pid, item_id, "ok", key="once", device="phone1", seq=7)
    assert (first.headers["X-Tap-Status"], again.headers["X-Tap-Status"]) == ("saved", "repeat")
    assert first.get_data() == again.get_data()
    assert keys_of_events(app, pid) == ["once"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PatrolTap)
                                 .where(PatrolTap.patrol_id == pid)) == 1


def test_tap_order_of_two_devices_goes_by_arrival_each_device_by_its_own_numbers(clock, app, site):
    """Two phones' numbers (and clocks) cannot be compared: between them the later arrival wins;
    each phone's own taps still never go backwards."""
    stw, pid, item_id = run(app, site)
    now = datetime.now(timezone.utc)
    assert tap(stw, pid, item_id, "ok", key="p1-5", device="phone1", seq=5,
               tapped_at=now + HOUR).headers["X-Tap-Status"] == "saved"
    # The second phone's first tap, its clock an hour slow: it arrives later, so it wins.
    assert tap(stw, pid, item_id, "na", key="p2-1", device="phone2", seq=1,
               tapped_at=now - HOUR).headers["X-Tap-Status"] == "saved"
    assert results(app, pid)[item_id].result == "na"
    # An older tap of the first phone arriving late: stale, though the second phone's tap holds the row.
    assert tap(stw, pid, item_id, "problem", key="p1-4", device="phone1", seq=4,
               note="x").headers["X-Tap-Status"] == "stale"
    assert results(app, pid)[item_id].result == "na"
    # A newer tap of the first phone: saved.
    assert tap(stw, pid, item_id, "ok", key="p1-6", device="phone1", seq=6).headers["X-Tap-Status"] == "saved"
    assert results(app, pid)[item_id].result == "ok"
    assert keys_of_events(app, pid) == ["p1-5", "p2-1", "p1-6"]
    # The same key from the other phone (an impossible collision) is still one key: a repeat.
    assert tap(stw, pid, item_id, "na", key="p1-6", device="phone2", seq=2).headers["X-Tap-Status"] == "repeat"
    assert results(app, pid)[item_id].result == "ok"


def test_tap_order_does_not_compare_the_phones_clock(clock, app, site):
    """A newer tap stamped an hour earlier than the one stored (the clock was corrected between
    them) is still newer: its number says so. Taps without numbers (plain form posts) go by arrival."""
    stw, pid, item_id = run(app, site)
    now = datetime.now(timezone.utc)
    tap(stw, pid, item_id, "ok", device="phone1", seq=1, tapped_at=now + HOUR)
    assert tap(stw, pid, item_id, "na", device="phone1", seq=2,
               tapped_at=now - HOUR).headers["X-Tap-Status"] == "saved"
    assert results(app, pid)[item_id].result == "na"
    other = items_of(app, site["templates"][PatrolKind.BUILDING])[1][0]
    assert tap(stw, pid, other, "na", script=False, tapped_at=now).status_code == 303
    assert tap(stw, pid, other, "ok", script=False, tapped_at=now - HOUR).status_code == 303
    assert results(app, pid)[other].result == "ok"


def test_tap_number_must_be_a_whole_number_with_its_device(clock, app, site):
    stw, pid, item_id = run(app, site)
    for device, seq in (("phone1", "abc"), ("phone1", "0"), ("phone1", ""), ("", "3"), ("手机", "3"),
                        ("phone1", str(2**53)), ("phone1", "١٢")):
        data = {"result": "ok", "key": f"k-{device}-{seq}", "device": device, "seq": seq}
        resp = stw.post(f"/patrols/{pid}/items/{item_id}?f", data=data, headers={"X-CSRFToken": stw.token})
        assert resp.status_code == 422, (device, seq)
        assert "点击序号不正确" in resp.get_data(as_text=True)
    assert results(app, pid) == {} and taps_of(app, pid) == []


def test_tap_time_beyond_what_a_datetime_holds_is_refused_not_a_500(clock, app, site):
    stw, pid, item_id = run(app, site)
    for tapped_at in ("9" * 20, "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "²"):
        data = {"result": "ok", "key": f"k-{tapped_at}", "tapped_at": tapped_at, "device": "phone1", "seq": "1"}
        resp = stw.post(f"/patrols/{pid}/items/{item_id}?f", data=data, headers={"X-CSRFToken": stw.token})
        assert resp.status_code == 422, tapped_at
        assert "点击时间格式不正确" in resp.get_data(as_text=True)
    assert results(app, pid) == {} and taps_of(app, pid) == []


def test_tap_stale_problem_keeps_no_photo(clock, app, site):
    """A stale tap with a photo stores nothing: the photo file is removed again."""
    from test_patrol_runs import _jpeg

    stw, pid, _ = run(app, site)
    items = items_of(app, site["templates"][PatrolKind.BUILDING])
    item_id = next(i for i, _t, p in items if p)
    def photos():
        return sorted(p for p in Path(app.config["UPLOAD_FOLDER"]).glob("**/*") if p.is_file())

    tap(stw, pid, item_id, "ok", device="phone1", seq=9)
    before = photos()
    resp = tap(stw, pid, item_id, "problem", device="phone1", seq=8, note="楼道灯不亮", photo=_jpeg())
    assert resp.headers["X-Tap-Status"] == "stale"
    r = results(app, pid)[item_id]
    assert r.result == "ok" and r.photo_path is None
    assert photos() == before


def test_tap_keys_already_stored_are_remembered_after_the_upgrade(clock, app, site):
    """A result stored before every key was remembered (its key only on the row) is a repeat."""
    stw, pid, item_id = run(app, site)
    tap(stw, pid, item_id, "ok", key="old-key", device="phone1", seq=1)
    with app.app_context():
        db.session.execute(PatrolTap.__table__.delete().where(PatrolTap.patrol_id == pid))
        db.session.commit()
    assert tap(stw, pid, item_id, "na", key="old-key", device="phone1", seq=1).headers["X-Tap-Status"] == "repeat"
    assert results(app, pid)[item_id].result == "ok"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event).where(
            Event.action == "patrol.tapped", Event.object_id == pid)) == 1
        assert db.session.scalar(select(PatrolResult.tap_key).where(PatrolResult.patrol_id == pid)) == "old-key"


def test_tap_order_holds_when_two_taps_of_an_item_race(clock, app, site):
    """The original and a newer tap of the same item reach the server at the same moment (two
    connections): whichever is handled first, the newer one is what stays."""
    import threading

    stw, pid, item_id = run(app, site)
    other = app.test_client()
    other.set_cookie("session", stw.get_cookie("session").value)
    other.token = stw.token
    barrier, answers = threading.Barrier(2), {}

    def go(name, client, result, seq):
        barrier.wait()
        answers[name] = tap(client, pid, item_id, result, key=f"tap-{name}", device="phone1", seq=seq)

    threads = [threading.Thread(target=go, args=("a", stw, "ok", 1)),
               threading.Thread(target=go, args=("b", other, "na", 2))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert answers["b"].headers["X-Tap-Status"] == "saved"
    assert answers["a"].headers["X-Tap-Status"] in ("saved", "stale")
    assert results(app, pid)[item_id].result == "na"
    assert keys_of_events(app, pid)[-1] == "tap-b"
    assert len(keys_of_events(app, pid)) == (2 if answers["a"].headers["X-Tap-Status"] == "saved" else 1)

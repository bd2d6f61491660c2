"""The queue keeps your place [issue 16], on a phone at 360×640: dispatching a card far down the
live queue updates that card in place — the page does not reload or jump, focus moves to the
card's message (已派给 工程部 …，HH:MM 前到场), and the next poll, which files the card under 已派单,
leaves the rows on screen where they were and the message on its card."""
import pytest
from playwright.sync_api import expect

from .conftest import assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser

TICKETS = 12


def _site(app, make):
    from sqlalchemy import select

    from propsvc.auth.models import Department, User
    from propsvc.extensions import db
    from propsvc.tickets.models import Category
    from propsvc.tickets.services import Intake, create_ticket

    c = make.community("新澳花园北区")
    b = make.building(c, "3")
    units = [make.unit(b, 1, f"{floor}01", floor=floor) for floor in range(2, 2 + TICKETS)]
    desk = make.user("front_desk", communities=[c], name="黄前台")
    supervisor = make.user("supervisor", communities=[c], name="张主管")
    tech = make.user("technician", communities=[c], name="刘国栋")
    with app.app_context():
        eng = db.session.scalar(select(Department).where(Department.code == "engineering"))
        db.session.get(User, tech.id).department_id = eng.id
        cat = db.session.scalar(select(Category).where(Category.community_id == c.id, Category.name == "水电气维修"))
        actor = db.session.get(User, desk.id)
        ids = [create_ticket(c.id, Intake(kind="repair", channel="phone", category_id=cat.id, urgency="normal",
                                          description=f"{u.number}厨房漏水", unit_id=u.id), actor).id for u in units]
        db.session.commit()
        db.session.remove()
    return supervisor, tech, ids


def _urgent_call(app, like_ticket_id: int) -> int:
    """One more ticket, urgent (it sorts first), on the same unit and category as another."""
    from propsvc.auth.models import User
    from propsvc.extensions import db
    from propsvc.tickets.models import Ticket
    from propsvc.tickets.services import Intake, create_ticket

    with app.app_context():
        t = db.session.get(Ticket, like_ticket_id)
        new = create_ticket(t.community_id, Intake(kind="repair", channel="phone", category_id=t.category_id,
                                                   urgency="urgent", description="电梯困人", unit_id=t.unit_id),
                            db.session.get(User, t.created_by_id))
        db.session.commit()
        new_id = new.id
        db.session.remove()
    return new_id


def test_dispatch_far_down_the_queue_keeps_scroll_and_focus_and_updates_the_row(app, live_server, page, make, shot):
    supervisor, tech, ids = _site(app, make)
    sign_in(page, live_server, supervisor)
    page.goto(f"{live_server}/tickets/queue")
    cards = page.locator("#queue li[id]")
    expect(cards).to_have_count(TICKETS)
    page.evaluate("window.notReloaded = true")

    # A card far down: scroll so it sits in the middle of the screen, choose the person.
    target = cards.nth(TICKETS - 3)
    tid = int(target.get_attribute("id")[1:])
    target.evaluate("el => el.scrollIntoView({block: 'center'})")
    target.locator("select").select_option(label=tech.name)
    before = page.evaluate("window.scrollY")
    assert before > 600  # well below the first screen
    top_before = target.evaluate("el => el.getBoundingClientRect().top")

    target.get_by_role("button", name="派给工程部").click()
    msg = page.locator(f"#qm{tid}")
    expect(msg).to_contain_text(f"已派给 工程部 {tech.name}，")
    expect(msg).to_contain_text("前到场。")
    # In place: no reload, the same scroll, the card where it was, focus on its message.
    assert page.evaluate("window.notReloaded === true")
    assert abs(page.evaluate("window.scrollY") - before) <= 1
    assert abs(page.locator(f"#q{tid}").evaluate("el => el.getBoundingClientRect().top") - top_before) <= 1
    assert page.evaluate("document.activeElement && document.activeElement.id") == f"qm{tid}"
    expect(page.locator(f"#q{tid} form")).to_have_count(0)  # dispatched: no second dispatch form
    expect(page.locator(f"#q{tid}")).to_contain_text(f"工程部 · {tech.name}")
    assert_no_sideways_scroll(page)
    shot("dispatched-in-place")

    # Meanwhile an urgent call comes in: it will sort to the top of 待派单, above the screen.
    anchor = page.evaluate("""() => {
        const rows = [...document.querySelectorAll('#queue li[id]')];
        const r = rows.find(el => el.getBoundingClientRect().top >= 0 && !el.querySelector('.qmsg'));
        return {id: r.id, top: r.getBoundingClientRect().top};
    }""")
    urgent = _urgent_call(app, ids[0])
    # The next poll files the card under 已派单 and puts the new one on top; the row at the top
    # of the screen stays where it was (without keeping it, it would move down a card).
    dispatched = page.locator("section.queue-group", has_text="已派单").locator(f"#q{tid}")
    expect(dispatched).to_be_visible(timeout=10_000)
    expect(page.locator(f"#q{urgent}")).to_have_count(1)
    assert page.locator(f"#q{urgent}").evaluate("el => el.getBoundingClientRect().bottom") < anchor["top"]
    assert abs(page.locator(f"#{anchor['id']}").evaluate("el => el.getBoundingClientRect().top") - anchor["top"]) <= 1
    expect(page.locator(f"#qm{tid}")).to_contain_text(f"已派给 工程部 {tech.name}")  # still said on its card
    assert page.evaluate("document.activeElement && document.activeElement.id") == f"qm{tid}"
    assert page.evaluate("window.notReloaded === true")
    assert page.js_errors == [] and page.console_errors == []

"""Demo data (`flask seed-demo`): one module per area, and the order they are loaded in.

This package may import any area; nothing imports it but the CLI (an import-linter contract,
ARCHITECTURE.md). Each area's module writes through that area's services, so every step is an
Event, exactly as on the pages:

  registry.py    the community 新澳花园北区: buildings, ~500 homes, owners, families, tenants,
                 and one staff account per role; runs the community setup (registry.setup)
  patrols.py     patrol plans and checkpoints           } seed_demo_activity: a few days of work
  tickets.py     tickets in every state, an outage      }
  renovation.py  permits, worker passes, extensions     }
  notices.py     notices                                }
  frontdesk.py   visitors                               } seed_demo_areas: each area's records
  errands.py     parcels, letters, access cards         }
  slips.py       release slips in every state           }
  events.py      community events (held, open, planned)  }
  handover.py    a handover batch in progress           }
"""
from ..core.models import utcnow
from ..extensions import db
from .errands import seed_demo_errands
from .events import seed_demo_events
from .fees import seed_demo_fees
from .frontdesk import seed_demo_visitors
from .handover import seed_demo_handover
from .assessment import seed_demo_assessment
from .notices import seed_demo_notices
from .patrols import seed_demo_patrols
from .registry import (COMMUNITY_NAME, DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_PIN, DemoExistsError,
                       demo_community_id, seed_demo)
from .renovation import seed_demo_renovations
from .slips import seed_demo_slips
from .tickets import seed_demo_tickets

__all__ = ["COMMUNITY_NAME", "DEMO_ACCOUNTS", "DEMO_PASSWORD", "DEMO_PIN", "DemoExistsError", "seed_all", "seed_demo",
           "seed_demo_activity", "seed_demo_areas"]


def seed_all(now=None):
    """`flask seed-demo`: the community and its accounts, a few days of work, then every area's
    records; yields each part's line as it is committed. Raises DemoExistsError (writing
    nothing) when the demo community or its usernames exist."""
    yield seed_demo()
    cid = demo_community_id()
    yield seed_demo_activity(cid, now=now)
    yield seed_demo_areas(cid, now=now)


def seed_demo_activity(community_id: int, now=None) -> str:
    """A few days of work on the demo site, so every page has something to show: patrol plans
    for both stewards, five checkpoints (巡查点) to print, tickets in every state (one overdue, one
    paused, one waiting for its return visit, one closed with a score), an inquiry with a
    promised reply, and an outage. Commits once."""
    now = now or utcnow()
    parts = [seed_demo_patrols(community_id, now=now), seed_demo_tickets(community_id, now=now)]
    db.session.commit()
    return f"已添加演示工作数据：{'，'.join(parts)}。"


def seed_demo_areas(community_id: int, now=None) -> str:
    """The renovations (permits, passes) and the front desk's day (notices, visitors,
    parcels/letters/cards, release slips), each written through its area's services (so every
    step is an Event). Commits once."""
    lines = [seed(community_id, now=now) for seed in (seed_demo_renovations, seed_demo_notices, seed_demo_visitors,
                                                      seed_demo_errands, seed_demo_slips, seed_demo_events,
                                                      seed_demo_handover, seed_demo_fees,
                                                      seed_demo_assessment)]
    db.session.commit()
    return "\n".join(line for line in lines if line)

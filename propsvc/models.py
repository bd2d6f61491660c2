"""Import every area's models so SQLAlchemy's metadata is complete."""
from .auth.models import Department, Kiosk, User, UserRole, UserSession, user_building, user_community  # noqa: F401
from .core.models import Event  # noqa: F401
from .registry.models import Building, Community, Occupancy, Person, Unit  # noqa: F401
from .tickets.models import Caller, Category, Holiday, Outage, Photo, SlaPolicy, Ticket, WorkSchedule, outage_building  # noqa: F401
from .core.idempotency import SubmissionKey  # noqa: F401
from .patrols.models import BriefingNote, ChecklistItem, ChecklistTemplate, Checkpoint, DailySummary, Patrol, PatrolPlan, PatrolResult, PatrolSettings, PatrolTap  # noqa: F401
from .documents.models import Document  # noqa: F401
from .renovation.models import Extension, Inspection, Renovation, RenovationSettings, Worker  # noqa: F401
from .slips import models as slips_models  # noqa: F401
from .frontdesk import models as frontdesk_models  # noqa: F401
from .notices import models as notices_models  # noqa: F401
from .errands import models as errands_models  # noqa: F401
from .fees.models import Allocation, Bill, ChargeItem, Contact, FeeSettings, Payment, RepairLine, RepairPrice, RepairQuote, RoundItem  # noqa: F401
from .privacy.models import Cover, RevealLog  # noqa: F401
from .events import models as events_models  # noqa: F401
from .handover import models as handover_models  # noqa: F401
from .assessment import models as assessment_models  # noqa: F401

"""Setting up a community: what every area needs in it before its first page.

The registry does not know the areas: each area that needs defaults in a new community (ticket
categories, deadlines and working hours; patrol checklists; later fee items, handover stations)
answers core.hooks.COMMUNITY_SETUP, registered in the app factory (propsvc/__init__.py). Creating
a community (importer.create_community, the demo) and `flask init-db` (for every community) run
them all here, in registration order."""
from ..core import hooks


def setup_community(community_id: int) -> None:
    """Add whatever the areas need in the community and it lacks (idempotent); flushes, never
    commits: the caller's transaction decides."""
    hooks.answers(hooks.COMMUNITY_SETUP, community_id)

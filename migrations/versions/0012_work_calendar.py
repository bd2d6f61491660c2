"""Working calendar Monday to Friday with China's statutory holidays

work_schedule.statutory (follow the statutory holidays and make-up days of the chinesecalendar
package; default on), and the working week of schedules still on the old default.

Before, a new community's schedule was created with weekdays "0123456" (every day a working
day): a normal ticket taken at 17:50 on a Friday fell due on Saturday. A schedule that still
holds "0123456" and whose weekdays nobody ever changed (no schedule.updated event touching
them) is that old default, not a choice: it becomes "01234" (Monday to Friday) [D1]. A
schedule a supervisor set, to seven days or anything else, is kept. Deadlines already
computed for open tickets are not recomputed (they were promised that way); new tickets,
pauses and return visits use the new calendar.

Follows 0011.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OLD_DEFAULT, NEW_DEFAULT = "0123456", "01234"


def upgrade():
    with op.batch_alter_table('work_schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statutory', sa.Boolean(), server_default=sa.true(), nullable=False))

    conn = op.get_bind()
    schedule = sa.table('work_schedule', sa.column('community_id', sa.Integer), sa.column('weekdays', sa.String))
    event = sa.table('event', sa.column('community_id', sa.Integer), sa.column('action', sa.String),
                     sa.column('data', sa.JSON))
    chosen = set()  # communities whose weekdays a person set
    for community_id, data in conn.execute(
            sa.select(event.c.community_id, event.c.data).where(event.c.action == 'schedule.updated')):
        if isinstance(data, dict) and 'weekdays' in (data.get('changes') or {}):
            chosen.add(community_id)
    for (community_id,) in conn.execute(
            sa.select(schedule.c.community_id).where(schedule.c.weekdays == OLD_DEFAULT)):
        if community_id not in chosen:
            conn.execute(schedule.update().where(schedule.c.community_id == community_id)
                         .values(weekdays=NEW_DEFAULT))


def downgrade():
    # The working week stays as it is: a Monday-to-Friday schedule cannot be told apart from one
    # a supervisor chose.
    with op.batch_alter_table('work_schedule', schema=None) as batch_op:
        batch_op.drop_column('statutory')

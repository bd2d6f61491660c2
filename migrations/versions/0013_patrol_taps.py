"""patrol taps: every tap key of an item, with the phone's own order (device, seq)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00

Follows 0012 (working calendar).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('patrol_tap',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patrol_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('device', sa.String(length=32), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('tapped_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['checklist_item.id'], name=op.f('fk_patrol_tap_item_id_checklist_item')),
    sa.ForeignKeyConstraint(['patrol_id'], ['patrol.id'], name=op.f('fk_patrol_tap_patrol_id_patrol')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_tap')),
    sa.UniqueConstraint('patrol_id', 'item_id', 'key', name=op.f('uq_patrol_tap_patrol_id_item_id_key'))
    )
    # The keys already applied (one per result row) are remembered too.
    op.execute(
        "INSERT INTO patrol_tap (patrol_id, item_id, key, result, tapped_at, received_at, applied) "
        "SELECT patrol_id, item_id, tap_key, result, tapped_at, received_at, true FROM patrol_result")


def downgrade():
    op.drop_table('patrol_tap')

"""community events [F2] (branch i21-events): community_event, event_signup

Revision ID: 0017_events
Revises: 0016
Create Date: 2026-12-06 03:10:00

Branch i21-events (issue 21); the lead renumbers/chains it at merge.
"""
import sqlalchemy as sa
from alembic import op


revision = '0017_events'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'community_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=60), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=60), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('age_group', sa.String(length=16), nullable=False),
        sa.Column('building_ids', sa.JSON(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('resources', sa.JSON(), nullable=False),
        sa.Column('budget', sa.JSON(), nullable=False),
        sa.Column('costs', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('public_code', sa.String(length=24), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=True),
        sa.Column('cancel_reason', sa.String(length=200), nullable=True),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('satisfaction', sa.JSON(), nullable=False),
        sa.Column('photos', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['community.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_code'),
    )
    op.create_index('ix_community_event_starts', 'community_event', ['community_id', 'starts_at'])
    op.create_table(
        'event_signup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('told_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('client_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['community_event.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('client_key'),
    )
    op.create_index('ix_event_signup_event_id', 'event_signup', ['event_id'])
    op.create_index('uq_event_signup_unit', 'event_signup', ['event_id', 'unit_id'], unique=True,
                    sqlite_where=sa.text("state != 'cancelled'"), postgresql_where=sa.text("state != 'cancelled'"))


def downgrade():
    op.drop_index('uq_event_signup_unit', table_name='event_signup')
    op.drop_index('ix_event_signup_event_id', table_name='event_signup')
    op.drop_table('event_signup')
    op.drop_index('ix_community_event_starts', table_name='community_event')
    op.drop_table('community_event')

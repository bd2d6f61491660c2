"""front desk visitors

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('visitor_name', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('purpose_note', sa.String(length=200), nullable=True),
    sa.Column('plate', sa.String(length=12), nullable=True),
    sa.Column('party_size', sa.Integer(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_out_by_id', sa.Integer(), nullable=True),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_visit_community_id_community')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user.id'], name=op.f('fk_visit_registered_by_id_user')),
    sa.ForeignKeyConstraint(['signed_out_by_id'], ['user.id'], name=op.f('fk_visit_signed_out_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_visit_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('client_key', name=op.f('uq_visit_client_key'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_community_arrived', ['community_id', 'arrived_at'], unique=False)
        batch_op.create_index('ix_visit_community_phone', ['community_id', 'phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_unit_id'))
        batch_op.drop_index('ix_visit_community_phone')
        batch_op.drop_index('ix_visit_community_arrived')

    op.drop_table('visit')

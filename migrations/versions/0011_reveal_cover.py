"""reveal audit log and cover (代班)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reveal_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=24), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_reveal_log_community_id_community')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reveal_log_unit_id_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_reveal_log_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reveal_log'))
    )
    with op.batch_alter_table('reveal_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reveal_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reveal_log_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reveal_log_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reveal_log_user_id'), ['user_id'], unique=False)

    op.create_table('cover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('for_user_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('granted_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_cover_community_id_community')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user.id'], name=op.f('fk_cover_ended_by_id_user')),
    sa.ForeignKeyConstraint(['for_user_id'], ['user.id'], name=op.f('fk_cover_for_user_id_user')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_cover_granted_by_id_user')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_cover_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cover'))
    )
    with op.batch_alter_table('cover', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cover_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cover_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('cover', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cover_user_id'))
        batch_op.drop_index(batch_op.f('ix_cover_community_id'))
    op.drop_table('cover')
    with op.batch_alter_table('reveal_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reveal_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_reveal_log_unit_id'))
        batch_op.drop_index(batch_op.f('ix_reveal_log_community_id'))
        batch_op.drop_index(batch_op.f('ix_reveal_log_at'))
    op.drop_table('reveal_log')

"""release slips

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('release_slip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('applicant_role', sa.String(length=16), nullable=False),
    sa.Column('applicant_name', sa.String(length=64), nullable=False),
    sa.Column('applicant_person_id', sa.Integer(), nullable=True),
    sa.Column('renovation_id', sa.Integer(), nullable=True),
    sa.Column('consent_method', sa.String(length=16), nullable=True),
    sa.Column('consent_owner', sa.String(length=64), nullable=True),
    sa.Column('consent_staff', sa.String(length=64), nullable=True),
    sa.Column('consent_path', sa.String(length=255), nullable=True),
    sa.Column('carrier_name', sa.String(length=64), nullable=False),
    sa.Column('carrier_id_number', sa.String(length=18), nullable=False),
    sa.Column('carrier_phone', sa.String(length=20), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('moving_on', sa.Date(), nullable=False),
    sa.Column('vehicle_plate', sa.String(length=16), nullable=True),
    sa.Column('signature_path', sa.String(length=255), nullable=True),
    sa.Column('sign_on_paper', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('supervisor_id', sa.Integer(), nullable=True),
    sa.Column('supervisor_name', sa.String(length=64), nullable=True),
    sa.Column('supervisor_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('manager_name', sa.String(length=64), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=200), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('released_by_name', sa.String(length=64), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_person_id'], ['person.id'], name=op.f('fk_release_slip_applicant_person_id_person')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_release_slip_closed_by_id_user')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_release_slip_community_id_community')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_release_slip_created_by_id_user')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_release_slip_document_id_document')),
    sa.ForeignKeyConstraint(['manager_id'], ['user.id'], name=op.f('fk_release_slip_manager_id_user')),
    sa.ForeignKeyConstraint(['released_by_id'], ['user.id'], name=op.f('fk_release_slip_released_by_id_user')),
    sa.ForeignKeyConstraint(['renovation_id'], ['renovation.id'], name=op.f('fk_release_slip_renovation_id_renovation')),
    sa.ForeignKeyConstraint(['supervisor_id'], ['user.id'], name=op.f('fk_release_slip_supervisor_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_release_slip_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_slip')),
    sa.UniqueConstraint('client_key', name=op.f('uq_release_slip_client_key'))
    )
    with op.batch_alter_table('release_slip', schema=None) as batch_op:
        batch_op.create_index('ix_release_slip_community_created', ['community_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_release_slip_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_release_slip_unit_id'), ['unit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('release_slip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_slip_unit_id'))
        batch_op.drop_index(batch_op.f('ix_release_slip_community_id'))
        batch_op.drop_index('ix_release_slip_community_created')

    op.drop_table('release_slip')

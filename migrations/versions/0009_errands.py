"""errands

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('errand_settings',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('card_fee_issue', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('card_fee_replace', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('parcel_overdue_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_errand_settings_community_id_community')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_errand_settings'))
    )
    op.create_table('errand_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('item_type', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_errand_notice_by_id_user')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_errand_notice_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_errand_notice')),
    sa.UniqueConstraint('client_key', name=op.f('uq_errand_notice_client_key'))
    )
    with op.batch_alter_table('errand_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_errand_notice_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_errand_notice_item', ['item_type', 'item_id'], unique=False)

    op.create_table('card_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('person_name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('fee', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('card_no', sa.String(length=32), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('receipt_no', sa.String(length=32), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_note', sa.String(length=200), nullable=True),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_card_request_closed_by_id_user')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_card_request_community_id_community')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_card_request_created_by_id_user')),
    sa.ForeignKeyConstraint(['paid_by_id'], ['user.id'], name=op.f('fk_card_request_paid_by_id_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_card_request_person_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_card_request_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_request')),
    sa.UniqueConstraint('client_key', name=op.f('uq_card_request_client_key'))
    )
    with op.batch_alter_table('card_request', schema=None) as batch_op:
        batch_op.create_index('ix_card_request_community_state', ['community_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_request_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_request_unit_id'), ['unit_id'], unique=False)

    op.create_table('mail_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('recipient_name', sa.String(length=64), nullable=False),
    sa.Column('recipient_phone', sa.String(length=20), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sender', sa.String(length=64), nullable=True),
    sa.Column('tracking_no', sa.String(length=40), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('handed_to', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_note', sa.String(length=200), nullable=True),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_mail_item_closed_by_id_user')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_mail_item_community_id_community')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_mail_item_person_id_person')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user.id'], name=op.f('fk_mail_item_received_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_mail_item_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_item')),
    sa.UniqueConstraint('client_key', name=op.f('uq_mail_item_client_key'))
    )
    with op.batch_alter_table('mail_item', schema=None) as batch_op:
        batch_op.create_index('ix_mail_item_community_state', ['community_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_item_unit_id'), ['unit_id'], unique=False)

    op.create_table('parcel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('recipient_name', sa.String(length=64), nullable=False),
    sa.Column('recipient_phone', sa.String(length=20), nullable=True),
    sa.Column('courier', sa.String(length=16), nullable=False),
    sa.Column('tracking_no', sa.String(length=40), nullable=True),
    sa.Column('shelf', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('collector_name', sa.String(length=64), nullable=True),
    sa.Column('collector_is_recipient', sa.Boolean(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_note', sa.String(length=200), nullable=True),
    sa.Column('client_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_parcel_closed_by_id_user')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_parcel_community_id_community')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_parcel_person_id_person')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user.id'], name=op.f('fk_parcel_received_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_parcel_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_parcel')),
    sa.UniqueConstraint('client_key', name=op.f('uq_parcel_client_key'))
    )
    with op.batch_alter_table('parcel', schema=None) as batch_op:
        batch_op.create_index('ix_parcel_community_arrived', ['community_id', 'arrived_at'], unique=False)
        batch_op.create_index('ix_parcel_community_state', ['community_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcel_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('parcel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parcel_unit_id'))
        batch_op.drop_index('ix_parcel_community_state')
        batch_op.drop_index('ix_parcel_community_arrived')

    op.drop_table('parcel')
    with op.batch_alter_table('mail_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_item_unit_id'))
        batch_op.drop_index('ix_mail_item_community_state')

    op.drop_table('mail_item')
    with op.batch_alter_table('card_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_request_unit_id'))
        batch_op.drop_index(batch_op.f('ix_card_request_person_id'))
        batch_op.drop_index('ix_card_request_community_state')

    op.drop_table('card_request')
    with op.batch_alter_table('errand_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_errand_notice_item')
        batch_op.drop_index(batch_op.f('ix_errand_notice_community_id'))

    op.drop_table('errand_notice')
    op.drop_table('errand_settings')

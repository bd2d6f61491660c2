"""documents tell what they are worth: used (a released slip), replaced by a reissue, ended
with their renovation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 09:00:00

Backfill: the document of a released slip is used (when and by whom the slip was released);
the permit, extension and pass documents of a finished or rejected renovation are ended (at
the renovation's 完工 event, else now).
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# The renovation of each kind of document, as SQL on the document row.
_RENOVATION_OF = {
    "renovation": "document.object_id",
    "extension": "(SELECT x.renovation_id FROM renovation_extension x WHERE x.id = document.object_id)",
    "worker": "(SELECT w.renovation_id FROM renovation_worker w WHERE w.id = document.object_id)",
}


def upgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('used_by_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=200), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch copy of the table: release slips refer to documents, and with foreign keys
        # on SQLite refuses to drop a referenced table. SQLite adds a nullable referencing column.
        op.execute("ALTER TABLE document ADD COLUMN replaced_by_id INTEGER "
                   "CONSTRAINT fk_document_replaced_by_id_document REFERENCES document (id)")
    else:
        op.add_column('document', sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_document_replaced_by_id_document'), 'document', 'document',
                              ['replaced_by_id'], ['id'])

    op.execute(
        "UPDATE document SET "
        "used_at = (SELECT s.released_at FROM release_slip s WHERE s.document_id = document.id), "
        "used_by_name = (SELECT s.released_by_name FROM release_slip s WHERE s.document_id = document.id) "
        "WHERE document.kind = 'slip' AND document.id IN "
        "(SELECT s.document_id FROM release_slip s WHERE s.released_at IS NOT NULL AND s.document_id IS NOT NULL)")
    for object_type, renovation in _RENOVATION_OF.items():
        op.execute(
            "UPDATE document SET "
            "ended_at = COALESCE((SELECT max(e.at) FROM event e WHERE e.object_type = 'renovation' "
            f"AND e.object_id = {renovation} AND e.action = 'renovation.finished'), CURRENT_TIMESTAMP), "
            "end_reason = CASE WHEN (SELECT r.state FROM renovation r WHERE r.id = "
            f"{renovation}) = 'finished' THEN '装修已完工' ELSE '装修申请已驳回' END "
            f"WHERE document.object_type = '{object_type}' AND document.state = 'valid' "
            f"AND (SELECT r.state FROM renovation r WHERE r.id = {renovation}) IN ('finished', 'rejected')")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE document DROP COLUMN replaced_by_id")  # SQLite 3.35+
    else:
        op.drop_constraint(op.f('fk_document_replaced_by_id_document'), 'document', type_='foreignkey')
        op.drop_column('document', 'replaced_by_id')
    for column in ('end_reason', 'ended_at', 'replaced_at', 'used_by_name', 'used_at'):
        op.drop_column('document', column)  # plain ALTER TABLE … DROP COLUMN, no table copy

"""community.sign_label: the label of the signature line printed beside the seal

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 21:00:00

Follows 0015 (document lifecycle).
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('community') as batch:
        batch.add_column(sa.Column('sign_label', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('community') as batch:
        batch.drop_column('sign_label')

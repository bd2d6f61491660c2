"""the default renovation checklist is 装修巡查表 (it was named 装修巡查巡查表)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 20:00:00
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE checklist_template SET name = '装修巡查表' WHERE name = '装修巡查巡查表'")


def downgrade():
    pass  # the old name was a typo; nothing to restore

"""The authority's escalated queue (govshare_request_list escalated=true): an index.

Without it the query reads the whole table (a request stays escalated after its decision):
47 ms of SQL for the first 50 at 100,000 requests (bench/workflow.py), 0.1 ms with it. The
predicate is the action's own ``escalated IS true``: PostgreSQL does not match that to an index
``WHERE escalated``.

Revision ID: 0003_request_escalated
Revises: 0002_workflow
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_request_escalated"
down_revision = "0002_workflow"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("govshare_request_escalated", "govshare_request", ["deadline", "created"],
                    postgresql_where=sa.text("escalated IS TRUE"))


def downgrade():
    op.drop_index("govshare_request_escalated", "govshare_request")

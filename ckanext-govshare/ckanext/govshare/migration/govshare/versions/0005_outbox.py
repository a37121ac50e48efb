"""The outbox of emails, and the uniqueness rules of the workflow as constraints.

- ``govshare_outbox``: emails written with the change that causes them, sent by the sweep;
  the unsent ones are found through a partial index.
- One pending share request per requesting department and entry, one pending open-data
  application per user and entry, one open coordination case per request: partial unique
  indexes, so that two simultaneous submissions cannot both be saved.

Revision ID: 0005_outbox
Revises: 0004_calendar
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_outbox"
down_revision = "0003_request_escalated"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_outbox",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("key", sa.UnicodeText, unique=True),
        sa.Column("to_name", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("to_address", sa.UnicodeText, nullable=False),
        sa.Column("subject", sa.UnicodeText, nullable=False),
        sa.Column("body", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("next_attempt", sa.DateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.UnicodeText),
        sa.Column("sent", sa.DateTime),
    )
    op.create_index("govshare_outbox_unsent", "govshare_outbox", ["next_attempt"],
                    postgresql_where=sa.text("sent IS NULL"))
    op.create_index("govshare_request_one_pending_share", "govshare_request",
                    ["requester_org_id", "package_id"], unique=True,
                    postgresql_where=sa.text("state = 'pending' AND kind = 'share'"))
    op.create_index("govshare_request_one_pending_open", "govshare_request",
                    ["requester_user_id", "package_id"], unique=True,
                    postgresql_where=sa.text("state = 'pending' AND kind = 'open'"))
    op.create_index("govshare_case_one_open_per_request", "govshare_case", ["request_id"],
                    unique=True,
                    postgresql_where=sa.text("state = 'open' AND request_id IS NOT NULL"))


def downgrade():
    op.drop_index("govshare_case_one_open_per_request", "govshare_case")
    op.drop_index("govshare_request_one_pending_open", "govshare_request")
    op.drop_index("govshare_request_one_pending_share", "govshare_request")
    op.drop_table("govshare_outbox")

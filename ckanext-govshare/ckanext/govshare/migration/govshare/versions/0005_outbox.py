"""The outbox of emails, and the uniqueness rules of the workflow as constraints.

- ``govshare_outbox``: emails written with the change that causes them, sent by the sweep;
  the unsent ones are found through a partial index.
- One pending share request per requesting department and entry, one pending open-data
  application per user and entry, one open coordination case per request: partial unique
  indexes, so that two simultaneous submissions cannot both be saved. Duplicates that the
  race left before this revision are closed first (the oldest stays): later pending twins
  are withdrawn and later open twin cases resolved, each with an audit record saying why.

Revision ID: 0005_outbox
Revises: 0004_calendar
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_outbox"
down_revision = "0004_calendar"
branch_labels = None
depends_on = None


_TWINS = """
WITH ranked AS (
    SELECT id, first_value(id) OVER twins AS kept, row_number() OVER twins AS n
    FROM {table} WHERE {where}
    WINDOW twins AS (PARTITION BY {partition} ORDER BY created, id)),
closed AS (
    UPDATE {table} t SET {closing}
    FROM ranked WHERE t.id = ranked.id AND ranked.n > 1
    RETURNING t.id, ranked.kept)
INSERT INTO govshare_audit (object_type, object_id, action, from_state, to_state, at, detail)
SELECT '{object_type}', id, '{action}', '{from_state}', '{to_state}', now() AT TIME ZONE 'utc',
       jsonb_build_object('note', 'duplicate of ' || kept || ' (migration 0005_outbox)')
FROM closed
"""


def _close_twins(table, where, partition, closing, object_type, action, from_state, to_state):
    op.execute(_TWINS.format(table=table, where=where, partition=partition, closing=closing,
                             object_type=object_type, action=action, from_state=from_state,
                             to_state=to_state))


def upgrade():
    withdraw = ("state = 'withdrawn', decided = now() AT TIME ZONE 'utc', "
                "decision_note = 'duplicate of ' || ranked.kept")
    _close_twins("govshare_request", "state = 'pending' AND kind = 'share'",
                 "requester_org_id, package_id", withdraw, "request", "withdrawn", "pending",
                 "withdrawn")
    _close_twins("govshare_request", "state = 'pending' AND kind = 'open'",
                 "requester_user_id, package_id", withdraw, "request", "withdrawn", "pending",
                 "withdrawn")
    _close_twins("govshare_case", "state = 'open' AND request_id IS NOT NULL", "request_id",
                 "state = 'resolved', resolved = now() AT TIME ZONE 'utc', "
                 "outcome = 'duplicate of ' || ranked.kept", "case", "resolve", "open", "resolved")
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

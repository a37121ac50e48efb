"""The security audit log, append-only in the database.

- ``govshare_audit_log``: who, what, when (timestamptz), from where, outcome.
- A trigger refuses every UPDATE and TRUNCATE, and every DELETE except the retention purge:
  ``govshare_audit_purge(keep_days)`` marks its own transaction and deletes rows older than
  ``keep_days``, and the trigger lets a DELETE through only in such a transaction and only
  for rows older than the floor of 180 days (等级保护: logs kept at least six months), so
  that no code path, whatever it sets, removes a recent row. INSERT and COPY are untouched:
  a plain pg_restore into an empty database works.
- The purge runs as the function's owner (SECURITY DEFINER, its search_path fixed): where
  the table belongs to another role than the portal's (the README's audit section), the
  portal's role needs only INSERT, SELECT and EXECUTE. The role that owns the table can
  always drop the trigger.

Revision ID: 0006_audit
Revises: 0005_outbox
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_audit"
down_revision = "0005_outbox"
branch_labels = None
depends_on = None

FLOOR_DAYS = 180

_GUARD = f"""
CREATE OR REPLACE FUNCTION govshare_audit_log_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND current_setting('govshare.audit_purging', true) = 'on'
       AND OLD.at < now() - interval '{FLOOR_DAYS} days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'govshare_audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""

_PURGE = f"""
CREATE OR REPLACE FUNCTION govshare_audit_purge(keep_days integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    removed bigint;
BEGIN
    IF keep_days IS NULL OR keep_days < {FLOOR_DAYS} THEN
        RAISE EXCEPTION 'audit retention must be at least {FLOOR_DAYS} days, not %', keep_days
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('govshare.audit_purging', 'on', true);
    DELETE FROM govshare_audit_log WHERE at < now() - make_interval(days => keep_days);
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('govshare.audit_purging', 'off', true);
    RETURN removed;
END $$;
"""


def upgrade():
    op.create_table(
        "govshare_audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("event", sa.UnicodeText, nullable=False),
        sa.Column("outcome", sa.UnicodeText, nullable=False),
        sa.Column("actor_id", sa.UnicodeText),
        sa.Column("actor_name", sa.UnicodeText),
        sa.Column("ip", sa.UnicodeText),
        sa.Column("object_type", sa.UnicodeText),
        sa.Column("object_id", sa.UnicodeText),
        sa.Column("detail", JSONB),
        sa.CheckConstraint("outcome IN ('success', 'failure')", name="govshare_audit_log_outcome"),
    )
    op.create_index("govshare_audit_log_at", "govshare_audit_log", ["at"])
    op.create_index("govshare_audit_log_actor", "govshare_audit_log", ["actor_name", "at"])
    op.create_index("govshare_audit_log_event", "govshare_audit_log", ["event", "at"])
    op.execute(_GUARD)
    op.execute(_PURGE)
    op.execute("CREATE TRIGGER govshare_audit_log_append_only BEFORE UPDATE OR DELETE "
               "ON govshare_audit_log FOR EACH ROW EXECUTE FUNCTION govshare_audit_log_guard()")
    op.execute("CREATE TRIGGER govshare_audit_log_no_truncate BEFORE TRUNCATE "
               "ON govshare_audit_log FOR EACH STATEMENT EXECUTE FUNCTION govshare_audit_log_guard()")


def downgrade():
    op.drop_table("govshare_audit_log")
    op.execute("DROP FUNCTION IF EXISTS govshare_audit_purge(integer)")
    op.execute("DROP FUNCTION IF EXISTS govshare_audit_log_guard()")

"""Share requests, open-data applications, coordination cases, audit trail, usage record.

Revision ID: 0002_workflow
Revises: 0001_grants
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_workflow"
down_revision = "0001_grants"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_request",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        # share: a department asks for a conditional entry; open: a citizen or
        # company applies for an authorized-open entry.
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id"), nullable=False),
        sa.Column("provider_org_id", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("requester_org_id", sa.UnicodeText, sa.ForeignKey("group.id")),
        sa.Column("requester_user_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("resource_ids", JSONB),
        sa.Column("usage_scope", JSONB),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("basis", sa.UnicodeText),
        sa.Column("scenario", sa.UnicodeText),
        sa.Column("security_measures", sa.UnicodeText),
        sa.Column("commitment_text", sa.UnicodeText),
        sa.Column("contact", sa.UnicodeText),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("prechecked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("reminded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decided", sa.DateTime),
        sa.Column("decided_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("decision_note", sa.UnicodeText),
        sa.Column("grant_id", sa.UnicodeText, sa.ForeignKey("govshare_grant.id")),
    )
    # The provider's inbox and the authority's overdue queue: pending, by deadline.
    op.create_index("govshare_request_inbox", "govshare_request",
                    ["provider_org_id", "deadline"], postgresql_where=sa.text("state = 'pending'"))
    op.create_index("govshare_request_pending_deadline", "govshare_request", ["deadline"],
                    postgresql_where=sa.text("state = 'pending'"))
    op.create_index("govshare_request_requester", "govshare_request", ["requester_org_id", "created"])
    op.create_index("govshare_request_user", "govshare_request", ["requester_user_id", "created"])
    op.create_index("govshare_request_package", "govshare_request", ["package_id"])

    op.create_table(
        "govshare_case",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id"), nullable=False),
        sa.Column("request_id", sa.UnicodeText, sa.ForeignKey("govshare_request.id")),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("outcome", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("resolved", sa.DateTime),
        sa.Column("resolved_by", sa.UnicodeText, sa.ForeignKey("user.id")),
    )

    op.create_table(
        "govshare_audit",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("object_type", sa.UnicodeText, nullable=False),
        sa.Column("object_id", sa.UnicodeText, nullable=False),
        sa.Column("action", sa.UnicodeText, nullable=False),
        sa.Column("from_state", sa.UnicodeText),
        sa.Column("to_state", sa.UnicodeText),
        sa.Column("user_id", sa.UnicodeText),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("detail", JSONB),
    )
    op.create_index("govshare_audit_object", "govshare_audit", ["object_type", "object_id", "at"])

    op.create_table(
        "govshare_usage",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.UnicodeText),
        sa.Column("org_id", sa.UnicodeText),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("provider_org_id", sa.UnicodeText),
        sa.Column("resource_id", sa.UnicodeText),
        sa.Column("grant_id", sa.UnicodeText, nullable=False),
        sa.Column("route", sa.UnicodeText, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("govshare_usage_provider", "govshare_usage", ["provider_org_id", "at"])

    op.create_table(
        "govshare_notification",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.UnicodeText, sa.ForeignKey("user.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("subject", sa.UnicodeText, nullable=False),
        sa.Column("body", sa.UnicodeText, nullable=False),
        sa.Column("link", sa.UnicodeText),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("seen", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("govshare_notification_user", "govshare_notification", ["user_id", "created"])


def downgrade():
    for table in ("govshare_notification", "govshare_usage", "govshare_audit",
                  "govshare_case", "govshare_request"):
        op.drop_table(table)

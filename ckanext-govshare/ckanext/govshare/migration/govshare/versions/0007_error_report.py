"""Error reports (纠错): a reader's doubt about an entry's value and the provider's answer.

Revision ID: 0007_error_report
Revises: 0006_audit
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_error_report"
down_revision = "0006_audit"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_error_report",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id"), nullable=False),
        sa.Column("resource_id", sa.UnicodeText, sa.ForeignKey("resource.id")),
        sa.Column("provider_org_id", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("reporter_user_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("location", sa.UnicodeText, nullable=False),
        sa.Column("evidence", sa.UnicodeText),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="open"),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("escalated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("resolved", sa.DateTime),
        sa.Column("resolved_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("explanation", sa.UnicodeText),
        sa.CheckConstraint("state IN ('open', 'corrected', 'not_error')",
                           name="govshare_error_report_state"),
    )
    op.create_index("govshare_error_report_provider", "govshare_error_report",
                    ["provider_org_id", "state", "deadline"])
    op.create_index("govshare_error_report_reporter", "govshare_error_report",
                    ["reporter_user_id"])
    op.create_index("govshare_error_report_package", "govshare_error_report", ["package_id"])
    # The deadline job's scan: open reports not yet sent to the authority.
    op.create_index("govshare_error_report_unescalated", "govshare_error_report", ["deadline"],
                    postgresql_where=sa.text("state = 'open' AND NOT escalated"))


def downgrade():
    op.drop_table("govshare_error_report")

"""The annual report (年度报告): each department's narrative of its year and the authority's
city summary, with their state (draft → submitted / published), and the January reminder
rounds already sent.

Revision ID: 0013_annual_report
Revises: 0012_scorecard
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_annual_report"
down_revision = "0012_scorecard"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_annual_report",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("owner_org", sa.UnicodeText, sa.ForeignKey("group.id")),
        sa.Column("narrative", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("state", sa.UnicodeText, nullable=False, server_default="draft"),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("submitted", sa.DateTime),
        sa.Column("submitted_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.UniqueConstraint("year", "owner_org", name="govshare_annual_report_once"),
        sa.CheckConstraint("state IN ('draft', 'submitted', 'published')",
                           name="govshare_annual_report_state"),
        sa.CheckConstraint("(owner_org IS NULL) = (state = 'published') OR state = 'draft'",
                           name="govshare_annual_report_state_of_kind"),
    )
    op.create_index("govshare_annual_report_city_once", "govshare_annual_report", ["year"],
                    unique=True, postgresql_where=sa.text("owner_org IS NULL"))
    op.create_table(
        "govshare_annual_report_reminder",
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("owner_org", sa.UnicodeText,
                  sa.ForeignKey("group.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("year", "owner_org", "round"),
    )


def downgrade():
    op.drop_table("govshare_annual_report_reminder")
    op.drop_index("govshare_annual_report_city_once", "govshare_annual_report")
    op.drop_table("govshare_annual_report")

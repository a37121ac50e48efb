"""The data authority's announcements (通知公告) on the home page.

Revision ID: 0014_announcement
Revises: 0013_annual_report
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_announcement"
down_revision = "0013_annual_report"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_announcement",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("body", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("modified", sa.DateTime, nullable=False),
        sa.Column("modified_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
    )
    op.create_index("ix_govshare_announcement_created", "govshare_announcement", ["created"])


def downgrade():
    op.drop_table("govshare_announcement")

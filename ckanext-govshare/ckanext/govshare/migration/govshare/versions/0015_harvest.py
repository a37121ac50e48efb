"""The origin of entries returned by an upper platform (回流): platform, department, IRI.

Revision ID: 0015_harvest
Revises: 0014_announcement
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_harvest"
down_revision = "0014_announcement"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_entry_origin",
        sa.Column("package_id", sa.UnicodeText,
                  sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("harvest_source_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("platform", sa.UnicodeText, nullable=False),
        sa.Column("platform_url", sa.UnicodeText, nullable=False),
        sa.Column("department", sa.UnicodeText, nullable=False),
        sa.Column("department_code", sa.UnicodeText, nullable=False),
        sa.Column("remote_uri", sa.UnicodeText, nullable=False),
        sa.Column("harvested", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("govshare_entry_origin")

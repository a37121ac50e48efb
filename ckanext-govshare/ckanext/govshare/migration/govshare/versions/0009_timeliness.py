"""Update timeliness (更新时效): when each entry's data last changed, and the reminders and
overdue notices sent (once per entry, due date and kind: a unique constraint).

Entries that exist already start from what their resources say: the latest of their
resources' last_modified and created, with each resource's url and last_modified kept so
that only a later change counts (the expression of timeliness.RESOURCE_STATE).

Revision ID: 0009_timeliness
Revises: 0008_info_item_sources
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009_timeliness"
down_revision = "0008_info_item_sources"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_data_update",
        sa.Column("package_id", sa.UnicodeText,
                  sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("data_updated", sa.DateTime),
        sa.Column("source", sa.UnicodeText),
        sa.Column("declared_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("resources", JSONB),
        sa.Column("overdue", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "govshare_timeliness_notice",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.UnicodeText,
                  sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.UniqueConstraint("package_id", "due", "kind", name="govshare_timeliness_notice_once"),
    )
    op.execute("""
        INSERT INTO govshare_data_update (package_id, data_updated, source, resources, overdue)
        SELECT package_id, max(greatest(last_modified, created)), 'resource',
               jsonb_object_agg(id, coalesce(url, '') || '|' || coalesce(last_modified::text, '')),
               false
        FROM resource WHERE state = 'active' GROUP BY package_id
    """)


def downgrade():
    op.drop_table("govshare_timeliness_notice")
    op.drop_table("govshare_data_update")

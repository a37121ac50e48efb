"""Data demands (数据需求) and showcases (应用成果) with the entries they use.

Revision ID: 0016_demand
Revises: 0015_harvest
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_demand"
down_revision = "0015_harvest"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_demand",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("wanted_fields", sa.UnicodeText, nullable=False),
        sa.Column("purpose", sa.UnicodeText, nullable=False),
        sa.Column("requester_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("department_id", sa.UnicodeText, sa.ForeignKey("group.id")),
        sa.Column("routed", sa.DateTime),
        sa.Column("routed_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("deadline", sa.Date),
        sa.Column("outcome", sa.UnicodeText),
        sa.Column("answer", sa.UnicodeText),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="SET NULL")),
        sa.Column("answered", sa.DateTime),
        sa.Column("answered_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.CheckConstraint("state IN ('submitted', 'routed', 'answered')",
                           name="govshare_demand_state"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('will_open', 'not_available')",
                           name="govshare_demand_outcome"),
        sa.CheckConstraint("state = 'submitted' OR (department_id IS NOT NULL "
                           "AND deadline IS NOT NULL)", name="govshare_demand_routed"),
        sa.CheckConstraint("(state = 'answered') = (outcome IS NOT NULL)",
                           name="govshare_demand_answered"),
    )
    op.create_index("ix_govshare_demand_created", "govshare_demand", ["created"])
    op.create_index("ix_govshare_demand_department_id", "govshare_demand", ["department_id"])
    op.create_table(
        "govshare_showcase",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("url", sa.UnicodeText, nullable=False),
        sa.Column("submitter_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("moderated", sa.DateTime),
        sa.Column("moderated_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("reason", sa.UnicodeText),
        sa.CheckConstraint("state IN ('pending', 'approved', 'rejected')",
                           name="govshare_showcase_state"),
    )
    op.create_index("ix_govshare_showcase_created", "govshare_showcase", ["created"])
    op.create_table(
        "govshare_showcase_entry",
        sa.Column("showcase_id", sa.UnicodeText,
                  sa.ForeignKey("govshare_showcase.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("package_id", sa.UnicodeText,
                  sa.ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_govshare_showcase_entry_package_id", "govshare_showcase_entry",
                    ["package_id"])


def downgrade():
    op.drop_table("govshare_showcase_entry")
    op.drop_table("govshare_showcase")
    op.drop_table("govshare_demand")

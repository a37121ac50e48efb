"""Catalog registration (目录备案): every entry that exists now is registered; the history of
registration steps (secrecy review, return reasons, pending changes); duty changes.

Revision ID: 0010_catalog_state
Revises: 0009_timeliness
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010_catalog_state"
down_revision = "0009_timeliness"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("""UPDATE package SET extras = coalesce(extras, '{}'::jsonb)
                  || '{"catalog_state": "registered"}'::jsonb
                  WHERE type = 'dataset'""")
    op.create_table(
        "govshare_catalog_step",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id"), nullable=False),
        sa.Column("step", sa.UnicodeText, nullable=False),
        sa.Column("from_state", sa.UnicodeText, nullable=False),
        sa.Column("to_state", sa.UnicodeText, nullable=False),
        sa.Column("actor_id", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("secrecy_review", JSONB),
        sa.Column("reason", sa.UnicodeText),
        sa.Column("changes", JSONB),
        sa.Column("settled", sa.DateTime),
        sa.CheckConstraint("step IN ('submit', 'confirm', 'return', 'propose')",
                           name="govshare_catalog_step_step"),
    )
    op.create_index("govshare_catalog_step_package", "govshare_catalog_step", ["package_id", "at"])
    op.create_index("govshare_catalog_one_pending_change", "govshare_catalog_step", ["package_id"],
                    unique=True,
                    postgresql_where=sa.text("step = 'propose' AND settled IS NULL"))
    op.create_table(
        "govshare_duty_change",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("owner_org", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime),
    )


def downgrade():
    op.drop_table("govshare_duty_change")
    op.drop_table("govshare_catalog_step")
    op.execute("UPDATE package SET extras = extras - 'catalog_state' WHERE type = 'dataset'")

"""Grants: who may use a conditional or authorized-open entry's data, and until when.

Revision ID: 0001_grants
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_grants"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_grant",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText,
                  sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=False),
        sa.Column("grantee_org_id", sa.UnicodeText,
                  sa.ForeignKey("group.id", ondelete="CASCADE")),
        sa.Column("grantee_user_id", sa.UnicodeText,
                  sa.ForeignKey("user.id", ondelete="CASCADE")),
        sa.Column("resource_ids", JSONB),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        sa.Column("granted_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("revoked", sa.DateTime),
        sa.Column("revoked_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("revoke_reason", sa.UnicodeText),
        sa.CheckConstraint("(grantee_org_id IS NULL) <> (grantee_user_id IS NULL)",
                           name="govshare_grant_one_grantee"),
        sa.CheckConstraint("valid_from <= valid_until", name="govshare_grant_period"),
    )
    op.create_index("govshare_grant_package_org", "govshare_grant", ["package_id", "grantee_org_id"])
    op.create_index("govshare_grant_package_user", "govshare_grant", ["package_id", "grantee_user_id"])
    # resource_code uniqueness is checked on every save: make the lookup an index scan.
    op.create_index("govshare_package_resource_code", "package",
                    [sa.text("(extras->>'resource_code')")])


def downgrade():
    op.drop_index("govshare_package_resource_code", "package")
    op.drop_table("govshare_grant")

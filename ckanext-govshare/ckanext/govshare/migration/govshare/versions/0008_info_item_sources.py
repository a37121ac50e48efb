"""一数一源: the index of information items across the catalog, the authority's synonyms,
and the designated source department of each item (one per item: the primary key).

The index is filled from the existing entries by ``ckan govshare sources rebuild``.

Revision ID: 0008_info_item_sources
Revises: 0007_error_report
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_info_item_sources"
down_revision = "0007_error_report"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_info_item",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.UnicodeText, nullable=False),
        sa.Column("normalised", sa.UnicodeText, nullable=False),
        sa.UniqueConstraint("package_id", "position", name="govshare_info_item_position"),
    )
    op.create_index("ix_govshare_info_item_normalised", "govshare_info_item", ["normalised"])
    op.create_table(
        "govshare_info_item_synonym",
        sa.Column("variant", sa.UnicodeText, primary_key=True),
        sa.Column("canonical", sa.UnicodeText, nullable=False),
        sa.Column("name", sa.UnicodeText, nullable=False),
        sa.Column("canonical_name", sa.UnicodeText, nullable=False),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.CheckConstraint("variant <> canonical", name="govshare_info_item_synonym_not_itself"),
    )
    op.create_index("ix_govshare_info_item_synonym_canonical", "govshare_info_item_synonym",
                    ["canonical"])
    op.create_table(
        "govshare_info_item_source",
        sa.Column("item", sa.UnicodeText, primary_key=True),
        sa.Column("name", sa.UnicodeText, nullable=False),
        sa.Column("owner_org", sa.UnicodeText, sa.ForeignKey("group.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("designated_by", sa.UnicodeText, sa.ForeignKey("user.id")),
        sa.Column("designated", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("govshare_info_item_source")
    op.drop_table("govshare_info_item_synonym")
    op.drop_table("govshare_info_item")

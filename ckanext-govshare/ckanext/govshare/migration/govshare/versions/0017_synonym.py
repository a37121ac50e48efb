"""The authority's search synonyms (同义词), pushed to Solr's managed synonym list.

Revision ID: 0017_synonym
Revises: 0016_demand
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_synonym"
down_revision = "0016_demand"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_synonym",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("term", sa.UnicodeText, nullable=False),
        sa.Column("synonym", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.CheckConstraint("term <> synonym", name="govshare_synonym_not_itself"),
    )
    op.create_index("govshare_synonym_pair", "govshare_synonym",
                    [sa.text("least(term, synonym)"), sa.text("greatest(term, synonym)")],
                    unique=True)


def downgrade():
    op.drop_table("govshare_synonym")

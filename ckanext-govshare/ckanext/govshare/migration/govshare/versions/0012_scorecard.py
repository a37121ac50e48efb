"""The evaluation (第二十八条): published scorecards (one per period), the authority's notes
on departments (one per period and department) and its findings of misuse.

Revision ID: 0012_scorecard
Revises: 0011_error_report_evidence
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012_scorecard"
down_revision = "0011_error_report_evidence"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_scorecard",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("date_from", sa.Date, nullable=False),
        sa.Column("date_to", sa.Date, nullable=False),
        sa.Column("content", JSONB, nullable=False),
        sa.Column("published", sa.DateTime, nullable=False),
        sa.Column("published_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.UniqueConstraint("date_from", "date_to", name="govshare_scorecard_period"),
        sa.CheckConstraint("date_from <= date_to", name="govshare_scorecard_span"),
    )
    op.create_table(
        "govshare_scorecard_note",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("date_from", sa.Date, nullable=False),
        sa.Column("date_to", sa.Date, nullable=False),
        sa.Column("owner_org", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("note", sa.UnicodeText, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
        sa.UniqueConstraint("date_from", "date_to", "owner_org",
                            name="govshare_scorecard_note_once"),
    )
    op.create_table(
        "govshare_misuse_finding",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("owner_org", sa.UnicodeText, sa.ForeignKey("group.id"), nullable=False),
        sa.Column("grant_id", sa.UnicodeText, sa.ForeignKey("govshare_grant.id"), nullable=False),
        sa.Column("request_id", sa.UnicodeText, sa.ForeignKey("govshare_request.id")),
        sa.Column("description", sa.UnicodeText, nullable=False),
        sa.Column("found_on", sa.Date, nullable=False),
        sa.Column("recorded", sa.DateTime, nullable=False),
        sa.Column("recorded_by", sa.UnicodeText, sa.ForeignKey("user.id"), nullable=False),
    )
    op.create_index("govshare_misuse_finding_org", "govshare_misuse_finding",
                    ["owner_org", "found_on"])


def downgrade():
    op.drop_table("govshare_misuse_finding")
    op.drop_table("govshare_scorecard_note")
    op.drop_table("govshare_scorecard")

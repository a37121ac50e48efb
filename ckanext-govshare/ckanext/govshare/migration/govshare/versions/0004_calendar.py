"""The working-day calendar the data authority enters per year (holidays, makeup workdays).

Revision ID: 0004_calendar
Revises: 0003_request_escalated
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_calendar"
down_revision = "0003_request_escalated"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "govshare_calendar_year",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        # Where the arrangement comes from, e.g. 国办发明电〔2026〕号 通知.
        sa.Column("note", sa.UnicodeText, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.UnicodeText, sa.ForeignKey("user.id")),
    )
    op.create_table(
        "govshare_calendar_day",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("year", sa.Integer,
                  sa.ForeignKey("govshare_calendar_year.year", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.UnicodeText, nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name="govshare_calendar_day_kind"),
        sa.CheckConstraint("extract(year from day) = year", name="govshare_calendar_day_in_year"),
    )
    op.create_index("govshare_calendar_day_year", "govshare_calendar_day", ["year"])


def downgrade():
    op.drop_table("govshare_calendar_day")
    op.drop_table("govshare_calendar_year")

"""The annual report's texts (年度报告): a department's narrative of its year, the authority's
city-wide summary (``owner_org`` NULL), and the January reminders already sent
(``ckanext.govshare.reports``)."""
from __future__ import annotations

import datetime
from typing import Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import (CheckConstraint, Column, DateTime, ForeignKey, Index, Integer,
                        PrimaryKeyConstraint, UnicodeText, UniqueConstraint, text)
from sqlalchemy.orm import Mapped

__all__ = ["AnnualReport", "AnnualReportReminder"]

DRAFT, SUBMITTED, PUBLISHED = "draft", "submitted", "published"


class AnnualReport(tk.BaseModel):
    """One text per department and year, and one city summary per year: a department's goes
    draft → submitted, the city's draft → published; neither changes after."""

    __tablename__ = "govshare_annual_report"
    __table_args__ = (
        UniqueConstraint("year", "owner_org", name="govshare_annual_report_once"),
        Index("govshare_annual_report_city_once", "year", unique=True,
              postgresql_where=text("owner_org IS NULL")),
        CheckConstraint(f"state IN ('{DRAFT}', '{SUBMITTED}', '{PUBLISHED}')",
                        name="govshare_annual_report_state"),
        CheckConstraint(f"(owner_org IS NULL) = (state = '{PUBLISHED}') OR state = '{DRAFT}'",
                        name="govshare_annual_report_state_of_kind"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = Column(Integer, nullable=False)
    owner_org: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("group.id"))
    narrative: Mapped[str] = Column(UnicodeText, nullable=False, default="")
    state: Mapped[str] = Column(UnicodeText, nullable=False, default=DRAFT)
    updated: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    updated_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    submitted: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    submitted_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))


class AnnualReportReminder(tk.BaseModel):
    """A January reminder round (``govshare.annual_report.remind_days``) sent to a department
    for a year: the key makes each go once."""

    __tablename__ = "govshare_annual_report_reminder"
    __table_args__ = (PrimaryKeyConstraint("year", "owner_org", "round"),)

    year: Mapped[int] = Column(Integer, nullable=False)
    owner_org: Mapped[str] = Column(UnicodeText, ForeignKey("group.id", ondelete="CASCADE"),
                                    nullable=False)
    round: Mapped[int] = Column(Integer, nullable=False)  # the day of January it is for
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)

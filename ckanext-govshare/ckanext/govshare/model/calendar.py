"""The official working-day calendar as the data authority entered it (国务院办公厅 放假安排)."""
from __future__ import annotations

import datetime
from typing import Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import (CheckConstraint, Column, Date, DateTime, ForeignKey, Integer,
                        UnicodeText)
from sqlalchemy.orm import Mapped

__all__ = ["CalendarYear", "CalendarDay", "HOLIDAY", "WORKDAY"]

HOLIDAY, WORKDAY = "holiday", "workday"


class CalendarYear(tk.BaseModel):
    """A year whose arrangement the authority entered: the platform knows it, whatever the
    library says. Its days are the exceptions to "Saturday and Sunday are days off"."""

    __tablename__ = "govshare_calendar_year"

    year: Mapped[int] = Column(Integer, primary_key=True, autoincrement=False)
    note: Mapped[str] = Column(UnicodeText, nullable=False)
    updated: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    updated_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))


class CalendarDay(tk.BaseModel):
    """One day off (``holiday``) or makeup working day (``workday``, 调休) of an entered year.

    The day is the key: it cannot be both."""

    __tablename__ = "govshare_calendar_day"
    __table_args__ = (
        CheckConstraint("kind IN ('holiday', 'workday')", name="govshare_calendar_day_kind"),
        CheckConstraint("extract(year from day) = year", name="govshare_calendar_day_in_year"),
    )

    day: Mapped[datetime.date] = Column(Date, primary_key=True)
    year: Mapped[int] = Column(Integer, ForeignKey("govshare_calendar_year.year",
                                                   ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = Column(UnicodeText, nullable=False)

"""Data demands (数据需求) and showcases (应用成果): what citizens and companies ask to be
opened, and what they built on the data."""
from __future__ import annotations

import datetime
from typing import Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, UnicodeText
from sqlalchemy.orm import Mapped

from ckanext.govshare import workdays
from ckanext.govshare.model import _uuid  # imported at the end of model/__init__

__all__ = ["Demand", "Showcase", "ShowcaseEntry", "SUBMITTED", "ROUTED", "ANSWERED",
           "WILL_OPEN", "NOT_AVAILABLE", "PENDING", "APPROVED", "REJECTED"]

SUBMITTED, ROUTED, ANSWERED = "submitted", "routed", "answered"
WILL_OPEN, NOT_AVAILABLE = "will_open", "not_available"
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class Demand(tk.BaseModel):
    """States: submitted → routed (the authority names the department; a deadline in
    working days) → answered (``outcome``: will_open with the entry, or not_available with
    the reason in ``answer``). Re-routing an unanswered demand starts a new deadline."""

    __tablename__ = "govshare_demand"
    __table_args__ = (
        CheckConstraint("state IN ('submitted', 'routed', 'answered')",
                        name="govshare_demand_state"),
        CheckConstraint("outcome IS NULL OR outcome IN ('will_open', 'not_available')",
                        name="govshare_demand_outcome"),
        CheckConstraint("state = 'submitted' OR (department_id IS NOT NULL "
                        "AND deadline IS NOT NULL)", name="govshare_demand_routed"),
        CheckConstraint("(state = 'answered') = (outcome IS NOT NULL)",
                        name="govshare_demand_answered"),
    )

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=_uuid)
    title: Mapped[str] = Column(UnicodeText, nullable=False)
    description: Mapped[str] = Column(UnicodeText, nullable=False)
    wanted_fields: Mapped[str] = Column(UnicodeText, nullable=False)
    purpose: Mapped[str] = Column(UnicodeText, nullable=False)
    requester_id: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False, index=True,
                                                default=datetime.datetime.utcnow)
    state: Mapped[str] = Column(UnicodeText, nullable=False, default=SUBMITTED)
    department_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("group.id"),
                                                  index=True)
    routed: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    routed_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    deadline: Mapped[Optional[datetime.date]] = Column(Date)
    outcome: Mapped[Optional[str]] = Column(UnicodeText)
    answer: Mapped[Optional[str]] = Column(UnicodeText)
    package_id: Mapped[Optional[str]] = Column(
        UnicodeText, ForeignKey("package.id", ondelete="SET NULL"))
    answered: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    answered_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return (self.state == ROUTED and self.deadline is not None
                and (today or workdays.today()) > self.deadline)


class Showcase(tk.BaseModel):
    """States: pending → approved | rejected (by the data authority, a reason for a
    rejection); only approved showcases are public."""

    __tablename__ = "govshare_showcase"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')",
                        name="govshare_showcase_state"),
    )

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=_uuid)
    title: Mapped[str] = Column(UnicodeText, nullable=False)
    description: Mapped[str] = Column(UnicodeText, nullable=False)
    url: Mapped[str] = Column(UnicodeText, nullable=False)
    submitter_id: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False, index=True,
                                                default=datetime.datetime.utcnow)
    state: Mapped[str] = Column(UnicodeText, nullable=False, default=PENDING)
    moderated: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    moderated_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    reason: Mapped[Optional[str]] = Column(UnicodeText)


class ShowcaseEntry(tk.BaseModel):
    """A catalog entry a showcase uses; it goes with the entry when the entry is purged."""

    __tablename__ = "govshare_showcase_entry"

    showcase_id: Mapped[str] = Column(UnicodeText, ForeignKey("govshare_showcase.id",
                                                              ondelete="CASCADE"),
                                      primary_key=True)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"),
                                     primary_key=True, index=True)

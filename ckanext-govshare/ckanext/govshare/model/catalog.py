"""The catalog's registration history (备案) and the duty changes that make an update due."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import BigInteger, Column, Date, DateTime, ForeignKey, UnicodeText
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

__all__ = ["CatalogStep", "DutyChange", "SUBMIT", "CONFIRM", "RETURN", "PROPOSE"]

# The steps of an entry's registration; ``propose`` holds a pending change of a registered
# entry's share or open attributes until a confirm or return settles it.
SUBMIT, CONFIRM, RETURN, PROPOSE = "submit", "confirm", "return", "propose"


class CatalogStep(tk.BaseModel):
    """One step of an entry through registration: who, when, from which state to which,
    with the secrecy review (保密审查) of a submission, the reason of a return, or the
    proposed attributes of a pending change (``changes``; ``settled`` once decided)."""

    __tablename__ = "govshare_catalog_step"

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id"), nullable=False)
    step: Mapped[str] = Column(UnicodeText, nullable=False)
    from_state: Mapped[str] = Column(UnicodeText, nullable=False)
    to_state: Mapped[str] = Column(UnicodeText, nullable=False)
    actor_id: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    at: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                           default=datetime.datetime.utcnow)
    secrecy_review: Mapped[Optional[dict[str, Any]]] = Column(JSONB)
    reason: Mapped[Optional[str]] = Column(UnicodeText)
    changes: Mapped[Optional[dict[str, Any]]] = Column(JSONB)
    settled: Mapped[Optional[datetime.datetime]] = Column(DateTime)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "package_id": self.package_id, "step": self.step,
                "from_state": self.from_state, "to_state": self.to_state,
                "actor_id": self.actor_id, "at": self.at.isoformat(),
                "secrecy_review": self.secrecy_review, "reason": self.reason,
                "changes": self.changes,
                "settled": self.settled.isoformat() if self.settled else None}


class DutyChange(tk.BaseModel):
    """A change in a department's duties (职责调整) recorded by the authority: the
    department's catalog update is due by ``due`` (working days, workdays.py) and is done
    (``updated``) when the department next submits entries for registration."""

    __tablename__ = "govshare_duty_change"

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    owner_org: Mapped[str] = Column(UnicodeText, ForeignKey("group.id"), nullable=False)
    description: Mapped[str] = Column(UnicodeText, nullable=False)
    date: Mapped[datetime.date] = Column(Date, nullable=False)
    due: Mapped[datetime.date] = Column(Date, nullable=False)
    created_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    updated: Mapped[Optional[datetime.datetime]] = Column(DateTime)

    def overdue(self, today: datetime.date) -> bool:
        return self.updated is None and today > self.due

    def as_dict(self, today: Optional[datetime.date] = None) -> dict[str, Any]:
        return {"id": self.id, "owner_org": self.owner_org, "description": self.description,
                "date": self.date.isoformat(), "due": self.due.isoformat(),
                "created_by": self.created_by, "created": self.created.isoformat(),
                "updated": self.updated.isoformat() if self.updated else None,
                "overdue": self.overdue(today) if today else None}

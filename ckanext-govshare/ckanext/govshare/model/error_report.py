"""Error reports (纠错): a reader's doubt about a value of an entry, and the provider's answer."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, UnicodeText
from sqlalchemy.orm import Mapped

from ckanext.govshare import workdays
from ckanext.govshare.model import _iso, _uuid  # imported at the end of model/__init__

__all__ = ["ErrorReport", "OPEN", "CORRECTED", "NOT_ERROR"]

OPEN, CORRECTED, NOT_ERROR = "open", "corrected", "not_error"


class ErrorReport(tk.BaseModel):
    """States: open → corrected | not_error. ``overdue`` is derived from the deadline (the
    provider's reply, in working days); ``escalated`` is set when the overdue report
    reaches the data authority, as for requests."""

    __tablename__ = "govshare_error_report"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'corrected', 'not_error')",
                        name="govshare_error_report_state"),
    )

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=_uuid)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id"), nullable=False)
    resource_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("resource.id"))
    provider_org_id: Mapped[str] = Column(UnicodeText, ForeignKey("group.id"), nullable=False)
    reporter_user_id: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    description: Mapped[str] = Column(UnicodeText, nullable=False)
    location: Mapped[str] = Column(UnicodeText, nullable=False)
    evidence: Mapped[Optional[str]] = Column(UnicodeText)
    # an evidence file (error_reports.store_evidence): its name as uploaded, type and size
    evidence_filename: Mapped[Optional[str]] = Column(UnicodeText)
    evidence_mimetype: Mapped[Optional[str]] = Column(UnicodeText)
    evidence_size: Mapped[Optional[int]] = Column(BigInteger)
    state: Mapped[str] = Column(UnicodeText, nullable=False, default=OPEN)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    deadline: Mapped[datetime.date] = Column(Date, nullable=False)
    escalated: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    resolved: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    resolved_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    explanation: Mapped[Optional[str]] = Column(UnicodeText)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.state == OPEN and (today or workdays.today()) > self.deadline

    def evidence_file(self) -> Optional[dict[str, Any]]:
        if self.evidence_filename is None:
            return None
        return {"name": self.evidence_filename, "mimetype": self.evidence_mimetype,
                "size": self.evidence_size,
                "url": f"/govshare/error-reports/{self.id}/evidence"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "package_id": self.package_id, "resource_id": self.resource_id,
            "provider_org": self.provider_org_id, "reporter_user": self.reporter_user_id,
            "description": self.description, "location": self.location,
            "evidence": self.evidence, "evidence_file": self.evidence_file(), "state": self.state, "created": _iso(self.created),
            "deadline": _iso(self.deadline), "overdue": self.is_overdue(),
            "escalated": self.escalated, "resolved": _iso(self.resolved),
            "resolved_by": self.resolved_by, "explanation": self.explanation,
        }

"""govshare's own tables (created by `ckan db upgrade -p govshare`)."""
from __future__ import annotations

import datetime
import uuid
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, ForeignKey, UnicodeText,
                        and_, or_)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

from ckanext.govshare import workdays

__all__ = ["Grant", "Request", "Case", "Audit", "Usage", "Notification"]


def _uuid() -> str:
    return str(uuid.uuid4())


class Grant(tk.BaseModel):
    """Entry × grantee × resources × period: the right to use data beyond the defaults.

    The grantee is a department (sharing site) or a user (authorized open data).
    ``resource_ids`` None means every resource of the entry.
    """

    __tablename__ = "govshare_grant"

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=_uuid)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id"), nullable=False)
    grantee_org_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("group.id"))
    grantee_user_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    resource_ids: Mapped[Optional[list[str]]] = Column(JSONB)
    valid_from: Mapped[datetime.date] = Column(Date, nullable=False)
    valid_until: Mapped[datetime.date] = Column(Date, nullable=False)
    reason: Mapped[str] = Column(UnicodeText, nullable=False)
    granted_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    revoked: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    revoked_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    revoke_reason: Mapped[Optional[str]] = Column(UnicodeText)

    @classmethod
    def active_clause(cls, today: datetime.date | None = None) -> Any:
        """SQL condition: not revoked and today inside [valid_from, valid_until]."""
        today = today or workdays.today()
        return and_(cls.revoked.is_(None), cls.valid_from <= today, cls.valid_until >= today)

    @classmethod
    def covers_resource_clause(cls, resource_id: str) -> Any:
        return or_(cls.resource_ids.is_(None), cls.resource_ids.contains([resource_id]))

    def is_active(self, today: datetime.date | None = None) -> bool:
        today = today or workdays.today()
        return self.revoked is None and self.valid_from <= today <= self.valid_until

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "package_id": self.package_id,
            "grantee_org": self.grantee_org_id,
            "grantee_user": self.grantee_user_id,
            "resource_ids": self.resource_ids,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "reason": self.reason,
            "granted_by": self.granted_by,
            "created": self.created.isoformat(),
            "revoked": self.revoked.isoformat() if self.revoked else None,
            "revoked_by": self.revoked_by,
            "revoke_reason": self.revoke_reason,
            "active": self.is_active(),
        }


def _iso(value: datetime.date | datetime.datetime | None) -> Optional[str]:
    return value.isoformat() if value else None


class Request(tk.BaseModel):
    """A share request (kind ``share``) or an open-data application (kind ``open``).

    States: pending → approved | refused | withdrawn. ``overdue`` is derived
    from the deadline; ``escalated`` is set when the overdue request reaches
    the data authority's queue.
    """

    __tablename__ = "govshare_request"

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=_uuid)
    kind: Mapped[str] = Column(UnicodeText, nullable=False)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id"), nullable=False)
    provider_org_id: Mapped[str] = Column(UnicodeText, ForeignKey("group.id"), nullable=False)
    requester_org_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("group.id"))
    requester_user_id: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    resource_ids: Mapped[Optional[list[str]]] = Column(JSONB)
    usage_scope: Mapped[Optional[list[str]]] = Column(JSONB)
    purpose: Mapped[str] = Column(UnicodeText, nullable=False)
    basis: Mapped[Optional[str]] = Column(UnicodeText)
    scenario: Mapped[Optional[str]] = Column(UnicodeText)
    security_measures: Mapped[Optional[str]] = Column(UnicodeText)
    commitment_text: Mapped[Optional[str]] = Column(UnicodeText)
    contact: Mapped[Optional[str]] = Column(UnicodeText)
    period_start: Mapped[datetime.date] = Column(Date, nullable=False)
    period_end: Mapped[datetime.date] = Column(Date, nullable=False)
    state: Mapped[str] = Column(UnicodeText, nullable=False, default="pending")
    prechecked: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    deadline: Mapped[datetime.date] = Column(Date, nullable=False)
    reminded: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    escalated: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    decided: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    decided_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    decision_note: Mapped[Optional[str]] = Column(UnicodeText)
    grant_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("govshare_grant.id"))

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.state == "pending" and (today or workdays.today()) > self.deadline

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "package_id": self.package_id,
            "provider_org": self.provider_org_id, "requester_org": self.requester_org_id,
            "requester_user": self.requester_user_id, "resource_ids": self.resource_ids,
            "usage_scope": self.usage_scope, "purpose": self.purpose, "basis": self.basis,
            "scenario": self.scenario, "security_measures": self.security_measures,
            "commitment_text": self.commitment_text, "contact": self.contact,
            "period_start": _iso(self.period_start), "period_end": _iso(self.period_end),
            "state": self.state, "prechecked": self.prechecked, "created": _iso(self.created),
            "deadline": _iso(self.deadline), "overdue": self.is_overdue(),
            "escalated": self.escalated, "decided": _iso(self.decided),
            "decided_by": self.decided_by, "decision_note": self.decision_note,
            "grant_id": self.grant_id,
        }


class Case(tk.BaseModel):
    """A coordination case (协商) the data authority opens and resolves."""

    __tablename__ = "govshare_case"

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=_uuid)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id"), nullable=False)
    request_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("govshare_request.id"))
    description: Mapped[str] = Column(UnicodeText, nullable=False)
    state: Mapped[str] = Column(UnicodeText, nullable=False, default="open")
    outcome: Mapped[Optional[str]] = Column(UnicodeText)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    created_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    resolved: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    resolved_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "package_id": self.package_id, "request_id": self.request_id,
            "description": self.description, "state": self.state, "outcome": self.outcome,
            "created": _iso(self.created), "created_by": self.created_by,
            "resolved": _iso(self.resolved), "resolved_by": self.resolved_by,
        }


class Audit(tk.BaseModel):
    """One transition of a workflow object: who, what, when, from which state."""

    __tablename__ = "govshare_audit"

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    object_type: Mapped[str] = Column(UnicodeText, nullable=False)
    object_id: Mapped[str] = Column(UnicodeText, nullable=False)
    action: Mapped[str] = Column(UnicodeText, nullable=False)
    from_state: Mapped[Optional[str]] = Column(UnicodeText)
    to_state: Mapped[Optional[str]] = Column(UnicodeText)
    user_id: Mapped[Optional[str]] = Column(UnicodeText)
    at: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                           default=datetime.datetime.utcnow)
    detail: Mapped[Optional[dict[str, Any]]] = Column(JSONB)

    def as_dict(self) -> dict[str, Any]:
        return {"object_type": self.object_type, "object_id": self.object_id,
                "action": self.action, "from_state": self.from_state,
                "to_state": self.to_state, "user_id": self.user_id, "at": _iso(self.at),
                "detail": self.detail}


class Usage(tk.BaseModel):
    """One access to data that a grant allowed (滨州 第二十七条: the provider sees how its data is used)."""

    __tablename__ = "govshare_usage"

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[Optional[str]] = Column(UnicodeText)
    org_id: Mapped[Optional[str]] = Column(UnicodeText)
    package_id: Mapped[str] = Column(UnicodeText, nullable=False)
    provider_org_id: Mapped[Optional[str]] = Column(UnicodeText)
    resource_id: Mapped[Optional[str]] = Column(UnicodeText)
    grant_id: Mapped[str] = Column(UnicodeText, nullable=False)
    route: Mapped[str] = Column(UnicodeText, nullable=False)
    at: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                           default=datetime.datetime.utcnow)

    def as_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "org_id": self.org_id, "package_id": self.package_id,
                "provider_org_id": self.provider_org_id, "resource_id": self.resource_id,
                "grant_id": self.grant_id, "route": self.route, "at": _iso(self.at)}


class Notification(tk.BaseModel):
    """What a user is told on their dashboard (the same text goes by email)."""

    __tablename__ = "govshare_notification"

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    subject: Mapped[str] = Column(UnicodeText, nullable=False)
    body: Mapped[str] = Column(UnicodeText, nullable=False)
    link: Mapped[Optional[str]] = Column(UnicodeText)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    seen: Mapped[bool] = Column(Boolean, nullable=False, default=False)


from ckanext.govshare.model.calendar import CalendarDay, CalendarYear  # noqa: E402

__all__ += ["CalendarYear", "CalendarDay"]
from ckanext.govshare.model.outbox import OutboxMail  # noqa: E402

__all__ += ["OutboxMail"]
from ckanext.govshare.model.catalog import CatalogStep, DutyChange  # noqa: E402

__all__ += ["CatalogStep", "DutyChange"]
from ckanext.govshare.model.audit import AuditEvent  # noqa: E402

__all__ += ["AuditEvent"]
from ckanext.govshare.model.error_report import ErrorReport  # noqa: E402

__all__ += ["ErrorReport"]
from ckanext.govshare.model.sources import InfoItem, InfoItemSource, InfoItemSynonym  # noqa: E402

__all__ += ["InfoItem", "InfoItemSynonym", "InfoItemSource"]
from ckanext.govshare.model.timeliness import DataUpdate, TimelinessNotice  # noqa: E402

__all__ += ["DataUpdate", "TimelinessNotice"]
from ckanext.govshare.model.scorecard import MisuseFinding, ScorecardNote, ScorecardPublication  # noqa: E402

__all__ += ["ScorecardPublication", "ScorecardNote", "MisuseFinding"]
from ckanext.govshare.model.announcement import Announcement  # noqa: E402

__all__ += ["Announcement"]
from ckanext.govshare.model.annual_report import AnnualReport, AnnualReportReminder  # noqa: E402

__all__ += ["AnnualReport", "AnnualReportReminder"]
from ckanext.govshare.model.harvest import EntryOrigin  # noqa: E402

__all__ += ["EntryOrigin"]
from ckanext.govshare.model.demand import Demand, Showcase, ShowcaseEntry  # noqa: E402

__all__ += ["Demand", "Showcase", "ShowcaseEntry"]
from ckanext.govshare.model.synonym import SearchSynonym  # noqa: E402

__all__ += ["SearchSynonym"]

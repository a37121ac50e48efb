"""govshare's own tables (created by `ckan db upgrade -p govshare`)."""
from __future__ import annotations

import datetime
import uuid
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import Column, Date, DateTime, ForeignKey, UnicodeText, and_, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

__all__ = ["Grant"]


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
        today = today or datetime.date.today()
        return and_(cls.revoked.is_(None), cls.valid_from <= today, cls.valid_until >= today)

    @classmethod
    def covers_resource_clause(cls, resource_id: str) -> Any:
        return or_(cls.resource_ids.is_(None), cls.resource_ids.contains([resource_id]))

    def is_active(self, today: datetime.date | None = None) -> bool:
        today = today or datetime.date.today()
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

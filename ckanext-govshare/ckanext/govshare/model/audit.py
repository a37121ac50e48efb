"""The security audit log (等级保护三级): one append-only row per security event.

The table is kept out of CKAN's metadata on purpose: CKAN's ``delete_all`` (the test
database reset) deletes from every table it knows, and the database refuses that here.
Its migration (0006_audit) creates it with the triggers that make it append-only.
"""
from __future__ import annotations

import datetime
from typing import Any, Optional

from sqlalchemy import BigInteger, Column, DateTime, MetaData, UnicodeText, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declarative_base

__all__ = ["AuditEvent", "SUCCESS", "FAILURE"]

SUCCESS, FAILURE = "success", "failure"

AuditBase: Any = declarative_base(metadata=MetaData())


class AuditEvent(AuditBase):
    """Who (actor), what (event, object, detail), when (at), from where (ip), outcome."""

    __tablename__ = "govshare_audit_log"

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime.datetime] = Column(DateTime(timezone=True), nullable=False,
                                           server_default=func.now())
    event: Mapped[str] = Column(UnicodeText, nullable=False)
    outcome: Mapped[str] = Column(UnicodeText, nullable=False, default=SUCCESS)
    actor_id: Mapped[Optional[str]] = Column(UnicodeText)
    actor_name: Mapped[Optional[str]] = Column(UnicodeText)
    ip: Mapped[Optional[str]] = Column(UnicodeText)
    object_type: Mapped[Optional[str]] = Column(UnicodeText)
    object_id: Mapped[Optional[str]] = Column(UnicodeText)
    detail: Mapped[Optional[dict[str, Any]]] = Column(JSONB)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat() if self.at else None,
                "event": self.event, "outcome": self.outcome, "actor_id": self.actor_id,
                "actor_name": self.actor_name, "ip": self.ip, "object_type": self.object_type,
                "object_id": self.object_id, "detail": self.detail}

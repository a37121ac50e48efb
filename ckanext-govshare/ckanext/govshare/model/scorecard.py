"""The evaluation (第二十八条): scorecards the authority published, its notes on departments,
and its findings of use beyond the granted purpose (超出授权用途使用)."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import (BigInteger, CheckConstraint, Column, Date, DateTime, ForeignKey, Index,
                        UnicodeText, UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

from ckanext.govshare.model import _iso, _uuid  # imported at the end of model/__init__

__all__ = ["ScorecardPublication", "ScorecardNote", "MisuseFinding"]


class ScorecardPublication(tk.BaseModel):
    """The scorecard of a period as published to the departments: ``content`` is what they
    see (the numbers as of publication, not live). One per period; publishing again
    replaces it."""

    __tablename__ = "govshare_scorecard"
    __table_args__ = (UniqueConstraint("date_from", "date_to", name="govshare_scorecard_period"),
                      CheckConstraint("date_from <= date_to", name="govshare_scorecard_span"))

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    date_from: Mapped[datetime.date] = Column(Date, nullable=False)
    date_to: Mapped[datetime.date] = Column(Date, nullable=False)
    content: Mapped[dict[str, Any]] = Column(JSONB, nullable=False)
    published: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                  default=datetime.datetime.utcnow)
    published_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)

    def as_dict(self) -> dict[str, Any]:
        return {"date_from": _iso(self.date_from), "date_to": _iso(self.date_to),
                "published": _iso(self.published), "published_by": self.published_by}


class ScorecardNote(tk.BaseModel):
    """The authority's note on a department's scorecard of a period (one per both)."""

    __tablename__ = "govshare_scorecard_note"
    __table_args__ = (UniqueConstraint("date_from", "date_to", "owner_org",
                                       name="govshare_scorecard_note_once"),)

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    date_from: Mapped[datetime.date] = Column(Date, nullable=False)
    date_to: Mapped[datetime.date] = Column(Date, nullable=False)
    owner_org: Mapped[str] = Column(UnicodeText, ForeignKey("group.id"), nullable=False)
    note: Mapped[str] = Column(UnicodeText, nullable=False)
    updated: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    updated_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)

    def as_dict(self) -> dict[str, Any]:
        return {"date_from": _iso(self.date_from), "date_to": _iso(self.date_to),
                "owner_org": self.owner_org, "note": self.note, "updated": _iso(self.updated),
                "updated_by": self.updated_by}


class MisuseFinding(tk.BaseModel):
    """The authority found a department using data beyond the purpose it was granted for:
    the grant (and the request it answered, if any) and what was found."""

    __tablename__ = "govshare_misuse_finding"
    __table_args__ = (Index("govshare_misuse_finding_org", "owner_org", "found_on"),)

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=_uuid)
    owner_org: Mapped[str] = Column(UnicodeText, ForeignKey("group.id"), nullable=False)
    grant_id: Mapped[str] = Column(UnicodeText, ForeignKey("govshare_grant.id"), nullable=False)
    request_id: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("govshare_request.id"))
    description: Mapped[str] = Column(UnicodeText, nullable=False)
    found_on: Mapped[datetime.date] = Column(Date, nullable=False)
    recorded: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                 default=datetime.datetime.utcnow)
    recorded_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "owner_org": self.owner_org, "grant_id": self.grant_id,
                "request_id": self.request_id, "description": self.description,
                "found_on": _iso(self.found_on), "recorded": _iso(self.recorded),
                "recorded_by": self.recorded_by}

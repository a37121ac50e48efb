"""When each entry's data last changed, and the timeliness messages already sent
(``ckanext.govshare.timeliness``)."""
from __future__ import annotations

import datetime
from typing import Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, ForeignKey, UnicodeText,
                        UniqueConstraint)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

__all__ = ["DataUpdate", "TimelinessNotice"]


class DataUpdate(tk.BaseModel):
    """One row per entry. ``data_updated``: the last upload, URL change, DataStore write or
    declaration (``source`` says which). ``resources`` keeps each resource's url and
    last_modified as of then, so that an edit of the metadata alone is not taken for new
    data. ``overdue`` is the state the daily job last put into the search index."""

    __tablename__ = "govshare_data_update"

    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"),
                                     primary_key=True)
    data_updated: Mapped[Optional[datetime.datetime]] = Column(DateTime)
    source: Mapped[Optional[str]] = Column(UnicodeText)
    declared_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    note: Mapped[Optional[str]] = Column(UnicodeText)  # what the declaring provider said
    resources: Mapped[Optional[dict[str, str]]] = Column(JSONB)
    overdue: Mapped[bool] = Column(Boolean, nullable=False, default=False)


class TimelinessNotice(tk.BaseModel):
    """A reminder (``remind``) or overdue notice (``overdue``) sent for an entry's due date:
    the unique constraint makes each go once per entry and due date."""

    __tablename__ = "govshare_timeliness_notice"
    __table_args__ = (UniqueConstraint("package_id", "due", "kind",
                                       name="govshare_timeliness_notice_once"),)

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"),
                                     nullable=False)
    due: Mapped[datetime.date] = Column(Date, nullable=False)
    kind: Mapped[str] = Column(UnicodeText, nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)

"""Where an entry returned by an upper platform (回流) comes from (see ckanext.govshare.harvest)."""
from __future__ import annotations

import datetime

import ckan.plugins.toolkit as tk
from sqlalchemy import Column, DateTime, ForeignKey, UnicodeText
from sqlalchemy.orm import Mapped

__all__ = ["EntryOrigin"]


class EntryOrigin(tk.BaseModel):
    """One returned entry: the platform it was harvested from (the harvest source), the
    department that publishes it there, and its IRI there. Written at every harvest of the
    entry; gone with the entry when it is purged."""

    __tablename__ = "govshare_entry_origin"

    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"),
                                     primary_key=True)
    harvest_source_id: Mapped[str] = Column(UnicodeText, nullable=False, index=True)
    platform: Mapped[str] = Column(UnicodeText, nullable=False)
    platform_url: Mapped[str] = Column(UnicodeText, nullable=False)
    department: Mapped[str] = Column(UnicodeText, nullable=False)
    department_code: Mapped[str] = Column(UnicodeText, nullable=False)
    remote_uri: Mapped[str] = Column(UnicodeText, nullable=False)
    harvested: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                  default=datetime.datetime.utcnow,
                                                  onupdate=datetime.datetime.utcnow)

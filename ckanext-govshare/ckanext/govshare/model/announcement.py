"""The data authority's announcements (通知公告), shown on the home page."""
from __future__ import annotations

import datetime
import uuid

import ckan.plugins.toolkit as tk
from sqlalchemy import Column, DateTime, ForeignKey, UnicodeText
from sqlalchemy.orm import Mapped

__all__ = ["Announcement"]


class Announcement(tk.BaseModel):
    __tablename__ = "govshare_announcement"

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=lambda: str(uuid.uuid4()))
    title: Mapped[str] = Column(UnicodeText, nullable=False)
    body: Mapped[str] = Column(UnicodeText, nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False, index=True,
                                                default=datetime.datetime.utcnow)
    created_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)
    modified: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                 default=datetime.datetime.utcnow)
    modified_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)

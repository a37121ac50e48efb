"""The outbox: emails written in the same transaction as the change that causes them,
sent afterwards by the sweep (``ckanext.govshare.outbox``)."""
from __future__ import annotations

import datetime
from typing import Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import BigInteger, Column, DateTime, Integer, UnicodeText
from sqlalchemy.orm import Mapped

__all__ = ["OutboxMail"]


class OutboxMail(tk.BaseModel):
    """One email to send. ``sent`` is set once it is delivered; until then each failed
    attempt is counted, its error kept, and the next try put off (``next_attempt``).
    ``key`` (unique when given) makes a message that must go once, such as the
    authority's digest of a day, impossible to write twice."""

    __tablename__ = "govshare_outbox"

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    key: Mapped[Optional[str]] = Column(UnicodeText, unique=True)
    to_name: Mapped[str] = Column(UnicodeText, nullable=False, default="")
    to_address: Mapped[str] = Column(UnicodeText, nullable=False)
    subject: Mapped[str] = Column(UnicodeText, nullable=False)
    body: Mapped[str] = Column(UnicodeText, nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    next_attempt: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                     default=datetime.datetime.utcnow)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    last_error: Mapped[Optional[str]] = Column(UnicodeText)
    sent: Mapped[Optional[datetime.datetime]] = Column(DateTime)

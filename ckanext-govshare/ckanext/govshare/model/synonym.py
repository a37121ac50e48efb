"""The authority's search synonyms (同义词): two words a search treats as one (医保, 医疗保险)."""
from __future__ import annotations

import datetime
import uuid

import ckan.plugins.toolkit as tk
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, UnicodeText, text
from sqlalchemy.orm import Mapped

__all__ = ["SearchSynonym"]


class SearchSynonym(tk.BaseModel):
    """A pair of equivalent words, as the authority typed them; a pair is one pair in
    either order (the unique index on the ordered words)."""

    __tablename__ = "govshare_synonym"
    __table_args__ = (
        CheckConstraint("term <> synonym", name="govshare_synonym_not_itself"),
        Index("govshare_synonym_pair", text("least(term, synonym)"),
              text("greatest(term, synonym)"), unique=True),
    )

    id: Mapped[str] = Column(UnicodeText, primary_key=True, default=lambda: str(uuid.uuid4()))
    term: Mapped[str] = Column(UnicodeText, nullable=False)
    synonym: Mapped[str] = Column(UnicodeText, nullable=False)
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)
    created_by: Mapped[str] = Column(UnicodeText, ForeignKey("user.id"), nullable=False)

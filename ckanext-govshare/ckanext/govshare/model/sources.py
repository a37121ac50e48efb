"""The index of information items (信息项) across the catalog, the authority's synonyms and
its designated source departments (数源部门), for 一数一源 (see ckanext.govshare.sources)."""
from __future__ import annotations

import datetime
from typing import Optional

import ckan.plugins.toolkit as tk
from sqlalchemy import (BigInteger, CheckConstraint, Column, DateTime, ForeignKey, Integer,
                        UniqueConstraint, UnicodeText)
from sqlalchemy.orm import Mapped

__all__ = ["InfoItem", "InfoItemSynonym", "InfoItemSource"]


class InfoItem(tk.BaseModel):
    """One information item of one entry, as the entry lists it, with its normalised name.

    Rebuilt with the entry on every create and update (``sources.index_entry``); gone with
    the entry when it is purged."""

    __tablename__ = "govshare_info_item"
    __table_args__ = (UniqueConstraint("package_id", "position",
                                       name="govshare_info_item_position"),)

    id: Mapped[int] = Column(BigInteger, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"),
                                     nullable=False)
    position: Mapped[int] = Column(Integer, nullable=False)
    name: Mapped[str] = Column(UnicodeText, nullable=False)
    normalised: Mapped[str] = Column(UnicodeText, nullable=False, index=True)


class InfoItemSynonym(tk.BaseModel):
    """The authority's word that ``variant`` names the same item as ``canonical`` (both
    normalised). A variant means one item only: it is the key."""

    __tablename__ = "govshare_info_item_synonym"
    __table_args__ = (CheckConstraint("variant <> canonical",
                                      name="govshare_info_item_synonym_not_itself"),)

    variant: Mapped[str] = Column(UnicodeText, primary_key=True)
    canonical: Mapped[str] = Column(UnicodeText, nullable=False, index=True)
    name: Mapped[str] = Column(UnicodeText, nullable=False)
    canonical_name: Mapped[str] = Column(UnicodeText, nullable=False)
    created_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    created: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                default=datetime.datetime.utcnow)


class InfoItemSource(tk.BaseModel):
    """The source department the authority designated for an item (its canonical normalised
    name is the key: one source department per item)."""

    __tablename__ = "govshare_info_item_source"

    item: Mapped[str] = Column(UnicodeText, primary_key=True)
    name: Mapped[str] = Column(UnicodeText, nullable=False)
    owner_org: Mapped[str] = Column(UnicodeText, ForeignKey("group.id", ondelete="CASCADE"),
                                    nullable=False)
    designated_by: Mapped[Optional[str]] = Column(UnicodeText, ForeignKey("user.id"))
    designated: Mapped[datetime.datetime] = Column(DateTime, nullable=False,
                                                   default=datetime.datetime.utcnow)

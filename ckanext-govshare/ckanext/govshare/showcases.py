"""Showcases (应用成果): what users built on the data, with the entries they used. A
showcase is public once the data authority approves it; until then (or when rejected, with
the reason) only its submitter and the authority see it. Whoever looks at a showcase sees
only those of its entries they may see: a showcase never tells of an entry hidden from
its viewer. Nothing here commits: the action that calls it does, once.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import true

from ckanext.govshare import access, notify
from ckanext.govshare.model import Showcase, ShowcaseEntry, _iso
from ckanext.govshare.model.demand import APPROVED, PENDING, REJECTED
from ckanext.govshare.workflow import audit, authority_users, error

MAX_ENTRIES = 50


def state_label(state: str) -> str:
    return {PENDING: tk._("awaiting moderation"), APPROVED: tk._("published"),
            REJECTED: tk._("rejected")}.get(state, state)


def link(showcase_id: str) -> str:
    return f"/govshare/showcases/{showcase_id}"


# ------------------------------------------------------------------ who sees what

def may_moderate(user: Optional[model.User]) -> bool:
    return access.is_authority(user) or access.is_sysadmin(user)


def visible_clause(user: Optional[model.User]) -> Any:
    """Approved showcases to everyone; the others to their submitter and the authority."""
    if may_moderate(user):
        return true()
    approved = Showcase.state == APPROVED
    return approved | (Showcase.submitter_id == user.id) if user is not None else approved


def entries_shown(showcase_ids: Iterable[str],
                  viewer: Optional[model.User]) -> dict[str, list[dict[str, str]]]:
    """Each showcase's entries that the viewer may see (ids, names, titles), by title."""
    ids = list(showcase_ids)
    shown: dict[str, list[dict[str, str]]] = {i: [] for i in ids}
    if not ids:
        return shown
    rows = (model.Session.query(ShowcaseEntry.showcase_id, model.Package)
            .join(model.Package, model.Package.id == ShowcaseEntry.package_id)
            .filter(ShowcaseEntry.showcase_id.in_(ids), model.Package.state == "active",
                    access.visible_clause(viewer))
            .order_by(model.Package.title))
    for showcase_id, package in rows:
        shown[showcase_id].append({"id": package.id, "name": package.name,
                                   "title": package.title or package.name})
    return shown


def submitter_names(rows: Iterable[Showcase]) -> dict[str, str]:
    """The submitters' display names, in one query for a list."""
    ids = {s.submitter_id for s in rows}
    users = model.Session.query(model.User).filter(model.User.id.in_(ids)) if ids else []
    return {u.id: u.display_name for u in users}


def as_dict(showcase: Showcase, viewer: Optional[model.User],
            entries: Optional[list[dict[str, str]]] = None,
            names: Optional[dict[str, str]] = None) -> dict[str, Any]:
    names = names if names is not None else submitter_names([showcase])
    return {
        "id": showcase.id, "title": showcase.title, "description": showcase.description,
        "url": showcase.url, "submitter": names.get(showcase.submitter_id, ""),
        "mine": viewer is not None and viewer.id == showcase.submitter_id,
        "created": _iso(showcase.created), "state": showcase.state,
        "moderated": _iso(showcase.moderated),
        # the moderator's reason is for the submitter and the authority
        "reason": showcase.reason if viewer is not None and (
            viewer.id == showcase.submitter_id or may_moderate(viewer)) else None,
        "entries": entries if entries is not None
        else entries_shown([showcase.id], viewer)[showcase.id],
    }


# ------------------------------------------------------------------ steps

def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise error("url", tk._("The address must start with http:// or https://"))
    return value


def _entries(user: model.User, names: list[str]) -> list[model.Package]:
    """The entries named, each one the submitter can see (a hidden one is reported as
    missing, in the same words)."""
    if not names:
        raise error("entries", tk._("Name at least one entry the showcase uses"))
    if len(names) > MAX_ENTRIES:
        raise error("entries", tk._("At most {max} entries").format(max=MAX_ENTRIES))
    found: dict[str, model.Package] = {}
    for name in names:
        package = model.Package.get(name)
        if (package is None or package.state != "active" or package.type != "dataset"
                or not access.can_see_entry(user, package)):
            raise error("entries", tk._("Dataset not found: %s") % name)
        found[package.id] = package
    return list(found.values())


def create(user: model.User, data: dict[str, Any]) -> Showcase:
    entries = _entries(user, data["entries"])
    showcase = Showcase(title=data["title"], description=data["description"],
                        url=_url(data["url"]), submitter_id=user.id, state=PENDING)
    model.Session.add(showcase)
    model.Session.flush()
    model.Session.add_all([ShowcaseEntry(showcase_id=showcase.id, package_id=p.id)
                           for p in entries])
    audit("showcase", showcase.id, "create", user, None, PENDING)
    notify.tell(authority_users(),
                tk._("New showcase to moderate: {title}").format(title=showcase.title),
                tk._("A user submitted a showcase built on the data: {title}\n"
                     "Please approve or reject it.").format(title=showcase.title),
                link=link(showcase.id))
    return showcase


def locked(showcase_id: str) -> Showcase:
    showcase = (model.Session.query(Showcase).filter(Showcase.id == showcase_id)
                .populate_existing().with_for_update().one_or_none())
    if showcase is None:
        raise tk.ObjectNotFound(tk._("Showcase not found"))
    return showcase


def moderate(user: model.User, showcase: Showcase, state: str,
             reason: Optional[str]) -> Showcase:
    """Approve (a pending or rejected showcase) or reject (a pending or approved one: a
    showcase found wanting later is taken down)."""
    if showcase.state == state:
        raise error("id", tk._("This showcase is already {state}").format(
            state=state_label(state)))
    previous = showcase.state
    showcase.state = state
    showcase.reason = reason or None
    showcase.moderated = datetime.datetime.utcnow()
    showcase.moderated_by = user.id
    audit("showcase", showcase.id, "approve" if state == APPROVED else "reject", user,
          previous, state, **({"reason": reason} if reason else {}))
    subject = (tk._("Your showcase {title} is published") if state == APPROVED
               else tk._("Your showcase {title} was not published")).format(title=showcase.title)
    notify.tell([model.User.get(showcase.submitter_id)], subject,
                f"{subject}\n{reason}" if reason else subject, link=link(showcase.id))
    return showcase

"""Support for the workflow pages (views/): reading forms, naming things, listing.

The decisions stay in the actions and their auth functions; this module turns
web input into action input and action output into what the templates show.
"""
from __future__ import annotations

import csv
import datetime
import io
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.pagination import Page
from ckan.types import Context
from werkzeug.datastructures import MultiDict

from ckanext.govshare import access, codes, requests, timeliness, workdays, workflow
from ckanext.govshare import schema as catalog
from ckanext.govshare.model import Case, Grant, Notification

PER_PAGE = 20
# Pending requests are few; the inbox reads them all to keep those the user may decide.
INBOX, DEPARTMENT, OVERDUE, ALL = "inbox", "department", "overdue", "all"
DECISIONS = ("approve", "refuse", "withdraw", "precheck")
CONFIRMED = ("approve", "refuse")  # decisions that show what they will do before doing it
CSV_BOM = "\ufeff"


# ------------------------------------------------------------------ users

def current_user() -> Optional[model.User]:
    user = tk.current_user
    if not user or user.is_anonymous:
        return None
    return model.User.get(user.id)


def context() -> Context:
    """An action context for the logged-in user: every rule of the actions applies."""
    user = current_user()
    return {"user": user.name if user else "", "auth_user_obj": user}


def shown(action: str, id: str, not_found: str) -> dict[str, Any]:
    """What a read action shows the user of ``id``; a page answers 404 (``not_found``) or 403
    (the action's reason) instead."""
    try:
        return tk.get_action(action)(context(), {"id": id})
    except tk.ObjectNotFound:
        return tk.abort(404, not_found)
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))


def allowed(action: str, data: dict[str, Any]) -> bool:
    """Whether the current user passes the action's auth function."""
    try:
        tk.check_access(action, context(), data)
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True


# ------------------------------------------------------------------ the entry page

def request_kind(user: Optional[model.User], package: dict[str, Any]) -> Optional[str]:
    """The request this user can file for the entry: a share request (a department
    without the data of a conditional entry), an application (a logged-in user
    without the data of an authorized-open entry), or None."""
    if user is None:
        return None
    entry = access.Entry.of(package)
    policy = access.DataPolicy(user)
    resource_ids = [r["id"] for r in package.get("resources") or []] or [None]
    if all(policy.allows(entry, r) for r in resource_ids):
        return None
    role = access.site_role()
    if (role != access.OPEN and entry.share_type == codes.CONDITIONAL
            and requests.requesting_departments(user, entry.owner_org)):
        return workflow.SHARE
    if role != access.SHARING and entry.open_type == codes.AUTHORIZED:
        return workflow.OPEN
    return None


DOWNLOAD, PENDING, LOGIN = "download", "pending", "login"


def next_step(user: Optional[model.User], package: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The one thing this user does next to get the entry's data, for the entry page's
    button: ``download`` (they may use some of it: ``resources``, those they may use),
    ``pending`` (their request waits for an answer: ``request``), ``share`` / ``open`` (they
    can file a share request or an application: request_kind), ``login`` (anonymous, and an
    account could apply for it); None when nothing on this site gets it."""
    usable = [r for r in package.get("resources") or [] if r.get("data_access")]
    if usable:
        return {"kind": DOWNLOAD, "resources": usable}
    if user is None:
        entry = access.Entry.of(package)
        if (entry.open_type == codes.AUTHORIZED and access.site_role() != access.SHARING
                and package.get("resources")):
            return {"kind": LOGIN}
        return None
    kind = request_kind(user, package)
    if kind is None:
        return None
    pending = pending_request(user, package, kind)
    return {"kind": PENDING, "request": pending} if pending else {"kind": kind}


def pending_request(user: model.User, package: dict[str, Any],
                    kind: str) -> Optional[dict[str, Any]]:
    """The user's (or their department's) request for the entry still waiting for an answer."""
    mine = access.department_ids(user)
    pending = tk.get_action("govshare_request_list")(context(), {
        "kind": kind, "package_id": package["id"], "state": workflow.PENDING})["results"]
    return next((r for r in pending if r["requester_user"] == user.id
                 or r["requester_org"] in mine), None)


def requester_departments(user: model.User, package: dict[str, Any]) -> list[dict[str, str]]:
    """The departments the user could request for (all but the provider), for a choice."""
    ids = requests.requesting_departments(user, package.get("owner_org"))
    return [{"value": g.name, "text": g.title or g.name} for g in _groups(ids)]


def _groups(ids: Iterable[str]) -> list[model.Group]:
    return (model.Session.query(model.Group).filter(model.Group.id.in_(list(ids)))
            .order_by(model.Group.title).all())


def request_defaults(kind: str) -> dict[str, Any]:
    today = workdays.today()
    data: dict[str, Any] = {"resource_scope": "all",
                            "period_end": (today + datetime.timedelta(days=365)).isoformat()}
    if kind == workflow.SHARE:
        data["period_start"] = today.isoformat()
    return data


SHARE_FIELDS = ("requester_org", "purpose", "basis", "period_start", "period_end", "contact")
OPEN_FIELDS = ("purpose", "scenario", "security_measures", "period_end", "contact")


def _resources(form: MultiDict, errors: dict[str, list[str]]) -> Optional[list[str]]:
    """``resource_scope`` all → None (every resource); some → the ticked ones."""
    if form.get("resource_scope", "all") == "all":
        return None
    chosen = [r for r in form.getlist("resource_ids") if r]
    if not chosen:
        errors["resource_ids"] = [tk._("Tick the resources you need, or choose all resources")]
    return chosen


def request_input(kind: str, package_id: str,
                  form: MultiDict) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """(the form as the user filled it, the action's input, errors found in the form itself)."""
    errors: dict[str, list[str]] = {}
    fields = SHARE_FIELDS if kind == workflow.SHARE else OPEN_FIELDS
    shown: dict[str, Any] = {f: form.get(f, "") for f in fields}
    shown.update(resource_scope=form.get("resource_scope", "all"),
                 resource_ids=form.getlist("resource_ids"))
    # Empty fields are sent as such: the action names each missing one.
    data: dict[str, Any] = {f: shown[f] for f in fields}
    data["package_id"] = package_id
    resource_ids = _resources(form, errors)
    if resource_ids:
        data["resource_ids"] = resource_ids
    if kind == workflow.SHARE:
        shown["usage_scope"] = data["usage_scope"] = [u for u in form.getlist("usage_scope") if u]
    else:
        shown["commitment_accepted"] = bool(form.get("commitment_accepted"))
        data["commitment_accepted"] = "true" if shown["commitment_accepted"] else "false"
    return shown, data, errors


def create_action(kind: str) -> str:
    return "govshare_request_create" if kind == workflow.SHARE else "govshare_application_create"


# ------------------------------------------------------------------ deciding

def decision_action(kind: str, decision: str) -> str:
    if decision == "withdraw":
        return "govshare_request_withdraw"
    if decision == "precheck":
        return "govshare_application_precheck"
    return f"govshare_{'request' if kind == workflow.SHARE else 'application'}_{decision}"


def decision_input(decision: str, request: dict[str, Any],
                   form: MultiDict) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
    """(the form as filled, the action's input, form errors) of a decision form."""
    errors: dict[str, list[str]] = {}
    shown: dict[str, Any] = {k: form.get(k, "") for k in ("comment", "reason", "period_end")}
    data: dict[str, Any] = {"id": request["id"]}
    if decision == "approve":
        shown["resource_scope"] = form.get("resource_scope", "all")
        shown["resource_ids"] = form.getlist("resource_ids")
        resource_ids = _resources(form, errors)
        if resource_ids:
            data["resource_ids"] = resource_ids
        data.update({k: shown[k] for k in ("comment", "period_end") if shown[k]})
    elif decision == "refuse":
        data["reason"] = shown["reason"]
    return shown, data, errors


def decisions_allowed(request: dict[str, Any]) -> list[str]:
    """The decision forms to show: those whose auth function lets the user act now."""
    if request["state"] != workflow.PENDING:
        return []
    kind, ref = request["kind"], {"id": request["id"]}
    shown = []
    if kind == workflow.OPEN and not request["prechecked"]:
        if allowed("govshare_application_precheck", ref):
            shown.append("precheck")
    elif allowed(decision_action(kind, "approve"), ref):
        shown += ["approve", "refuse"]
    if allowed("govshare_request_withdraw", ref):
        shown.append("withdraw")
    return shown


# ------------------------------------------------------------------ names

def labels(ids: Iterable[Optional[str]]) -> dict[str, str]:
    """Display names of the entries, departments, resources and users with these ids."""
    wanted = {i for i in ids if i}
    found: dict[str, str] = {}
    if not wanted:
        return found
    for package in model.Session.query(model.Package).filter(model.Package.id.in_(wanted)):
        found[package.id] = package.title or package.name
    for group in model.Session.query(model.Group).filter(model.Group.id.in_(wanted)):
        found[group.id] = group.title or group.name
    for resource in model.Session.query(model.Resource).filter(model.Resource.id.in_(wanted)):
        found[resource.id] = resource.name or resource.id[:8]
    for user in model.Session.query(model.User).filter(model.User.id.in_(wanted)):
        found[user.id] = user.display_name
    return found


def request_ids(requests: Iterable[dict[str, Any]]) -> list[Optional[str]]:
    ids: list[Optional[str]] = []
    for r in requests:
        ids += [r["package_id"], r["provider_org"], r["requester_org"], r["requester_user"],
                r.get("decided_by")]
        ids += r.get("resource_ids") or []
        ids += [a["user_id"] for a in r.get("audit") or []]
    return ids


def package_resources(package_id: str) -> list[dict[str, str]]:
    """The entry's active resources (id and name), for the resource checkboxes."""
    package = model.Package.get(package_id)
    resources = package.resources if package else []
    return [{"id": r.id, "name": r.name or r.id[:8]} for r in resources]


# ------------------------------------------------------------------ the dashboard

def tabs(user: model.User) -> list[str]:
    authority = access.is_authority(user)
    shown = [INBOX] if authority or access.department_ids(user, workflow.decider_capacities()) else []
    shown.append(DEPARTMENT)
    if authority:
        shown.append(OVERDUE)
    return shown + [ALL]


def kinds() -> list[str]:
    role = access.site_role()
    return {access.SHARING: [workflow.SHARE], access.OPEN: [workflow.OPEN]}.get(
        role, [workflow.SHARE, workflow.OPEN])


def _inbox(kind: str, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """Pending requests the user may decide now, soonest deadline first."""
    result = tk.get_action("govshare_request_list")(context(), {
        "kind": kind, "decidable": True, "limit": PER_PAGE, "offset": offset})
    return result["count"], result["results"]


def request_page(tab: str, kind: str, department: Optional[str], page: int,
                 url: Any) -> Page:
    """One page of a dashboard tab (see ``tabs``)."""
    offset = (page - 1) * PER_PAGE
    if tab == INBOX:
        count, rows = _inbox(kind, offset)
    else:
        query: dict[str, Any] = {"kind": kind, "limit": PER_PAGE, "offset": offset}
        if tab == DEPARTMENT and department:
            query["department"] = department
        if tab == OVERDUE:
            query["overdue"] = True
        result = tk.get_action("govshare_request_list")(context(), query)
        count, rows = result["count"], result["results"]
    return Page(collection=rows, page=page, item_count=count, items_per_page=PER_PAGE,
                presliced_list=True, url=url)


def my_departments(user: model.User) -> list[dict[str, str]]:
    return [{"name": g.name, "title": g.title or g.name}
            for g in _groups(access.department_ids(user))]


def working_days_left(deadline: str | datetime.date) -> Optional[int]:
    """Working days from today to the deadline; negative when it has passed; None when
    the count crosses a year the platform does not know (the page says so, it does not fail)."""
    if isinstance(deadline, str):
        deadline = datetime.date.fromisoformat(deadline)
    try:
        return workdays.working_days_between(workdays.today(), deadline)
    except workdays.UnknownYear:
        return None


def calendar_warning(user: Optional[model.User]) -> list[int]:
    """The years the authority has to enter soon; nothing for other users."""
    return workdays.unknown_years_ahead(workdays.today()) if access.is_authority(user) else []


# ------------------------------------------------------------------ usage

def _route_label(route: str) -> str:
    if route == "download":
        return tk._("Download")
    if route == "view":
        return tk._("Preview")
    return tk._("API: {action}").format(action=route)


def usage_rows(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Usage records with names instead of ids, time in the display time zone."""
    names = labels(i for u in records for i in (u["user_id"], u["org_id"], u["package_id"],
                                                 u["provider_org_id"], u["resource_id"]))
    return [{
        "at": tk.h.render_datetime(u["at"], date_format="%Y-%m-%d %H:%M:%S"),
        "department": names.get(u["org_id"] or "", ""),
        "user": names.get(u["user_id"] or "", ""),
        "provider": names.get(u["provider_org_id"] or "", ""),
        "entry": names.get(u["package_id"], u["package_id"]),
        "resource": names.get(u["resource_id"] or "", u["resource_id"] or ""),
        "grant": u["grant_id"],
        "route": _route_label(u["route"]),
        "package_id": u["package_id"],
    } for u in records]


USAGE_COLUMNS = ("at", "department", "user", "provider", "entry", "resource", "grant", "route")


def usage_headings() -> list[str]:
    return [tk._("Time"), tk._("Department"), tk._("User"), tk._("Provider"), tk._("Entry"),
            tk._("Resource"), tk._("Grant"), tk._("Route")]


def spreadsheet_safe(value: str) -> str:
    """A cell Excel shows as text: user-written values starting like a formula
    (=HYPERLINK(...), +, -, @, tab, CR) would run as one."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def usage_csv(rows: list[dict[str, str]]) -> str:
    """CSV with a UTF-8 byte order mark, so that Excel reads the Chinese names."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(usage_headings())
    writer.writerows([spreadsheet_safe(row[c]) for c in USAGE_COLUMNS] for row in rows)
    return CSV_BOM + out.getvalue()


# ------------------------------------------------------------------ notifications

def unread_count(user: Optional[model.User]) -> int:
    if user is None:
        return 0
    return model.Session.query(Notification).filter(
        Notification.user_id == user.id, Notification.seen.is_(False)).count()


# ------------------------------------------------------------------ decisions shown as made

def rehearse(action: str, data: dict[str, Any]) -> Optional[dict[str, Any]]:
    """Run a decision and undo it: the confirmation page shows exactly the errors the decision
    would meet and the grant it would make. The action runs in a savepoint (``defer_commit``:
    it does not commit), rolled back whatever happens; its notifications and emails are rows
    of that savepoint too."""
    savepoint = model.Session.begin_nested()
    try:
        decided = tk.get_action(action)(dict(context(), defer_commit=True), data)
        grant = model.Session.get(Grant, decided["grant_id"]) if decided.get("grant_id") else None
        return grant.as_dict() if grant else None
    finally:
        savepoint.rollback()


def granted_names(grant: dict[str, Any]) -> list[str]:
    return requests.granted_resources(grant["package_id"], grant["resource_ids"])


def shown_states(requests_: list[dict[str, Any]]) -> dict[str, str]:
    """The badge state of each request (workflow.shown_state), in two queries for a page."""
    ids = [r["id"] for r in requests_]
    in_case = {row for row, in model.Session.query(Case.request_id).filter(
        Case.request_id.in_(ids), Case.state == "open")} if ids else set()
    grant_ids = [r["grant_id"] for r in requests_ if r.get("grant_id")]
    grants = {g.id: g.as_dict() for g in model.Session.query(Grant).filter(
        Grant.id.in_(grant_ids))} if grant_ids else {}
    return {r["id"]: workflow.shown_state(r, r["id"] in in_case, grants.get(r.get("grant_id")))
            for r in requests_}


def may_ask_coordination(request: dict[str, Any]) -> bool:
    """The 申请协调 button: a refused (or, for the authority, overdue) request with no open case,
    for whoever may open one."""
    if any(c["state"] == "open" for c in request.get("cases") or []):
        return False
    overdue_for_authority = request["overdue"] and access.is_authority(current_user())
    if request["state"] != workflow.REFUSED and not overdue_for_authority:
        return False
    return allowed("govshare_case_create", {"request_id": request["id"],
                                            "package_id": request["package_id"]})


def grant_ids(grants: Iterable[dict[str, Any]]) -> list[Optional[str]]:
    ids: list[Optional[str]] = []
    for g in grants:
        ids += [g["package_id"], g["grantee_org"], g["grantee_user"], g["granted_by"],
                g["revoked_by"]]
        ids += g["resource_ids"] or []
    return ids


# ------------------------------------------------------------------ access at a glance

def last_update(package: dict[str, Any]) -> datetime.date:
    """The day the entry's data last changed, from the entry dict alone (a search result has
    it): recorded, else published, else created."""
    return timeliness.last_update(package.get("data_updated"), package.get("publish_date"),
                                  package.get("metadata_created"), workdays.today())


def _badge_words() -> dict[str, str]:
    """The badges' fixed words, translated once per request: a search page shows twenty
    entries' badges, and each translation is a lookup through Flask-Babel's context."""
    words = tk.g.get("govshare_badge_words")
    if words is None:
        words = tk.g.govshare_badge_words = {
            "catalog_state": tk._("Catalog state"), "share_type": tk._("Share type"),
            "open_type": tk._("Open type"), "update_frequency": tk._("Update frequency"),
            "updated": tk._("Last update"), "frequency": tk._("{frequency} update"),
            "updated_on": tk._("Updated {date}"), "overdue": tk._("Overdue")}
    return words


def access_badges(package: dict[str, Any]) -> list[dict[str, str]]:
    """An entry's access at a glance, from its dict alone (a search result has every key):
    before registration its catalog state, then share type, open type, update frequency and
    last update. Each badge: ``css`` classes, ``icon`` (Font Awesome), ``title``, ``text``."""
    words = _badge_words()
    badges = []
    state = package.get("catalog_state")
    if state and state != codes.REGISTERED:
        badges.append({"css": "govshare-badge-state", "icon": "", "title": words["catalog_state"],
                       "text": catalog.choice_label("catalog_state", state)})
    share, open_type = package.get("share_type"), package.get("open_type")
    if share:
        badges.append({"css": f"govshare-badge-share govshare-share-{share}", "icon": "fa-share-alt",
                       "title": words["share_type"], "text": catalog.choice_label("share_type", share)})
    if open_type:
        badges.append({"css": f"govshare-badge-open govshare-open-{open_type}",
                       "icon": "fa-lock" if open_type == codes.CLOSED else "fa-globe",
                       "title": words["open_type"], "text": catalog.choice_label("open_type", open_type)})
    frequency = package.get("update_frequency")
    if frequency:
        badges.append({"css": "govshare-badge-frequency", "icon": "fa-refresh",
                       "title": words["update_frequency"], "text": words["frequency"].format(
                           frequency=catalog.choice_label("update_frequency", frequency))})
    overdue = package.get("update_overdue")
    text = words["updated_on"].format(date=last_update(package).isoformat())
    badges.append({"css": "govshare-badge-updated" + (" govshare-overdue" if overdue else ""),
                   "icon": "fa-calendar", "title": words["updated"],
                   "text": f"{text} · {words['overdue']}" if overdue else text})
    return badges

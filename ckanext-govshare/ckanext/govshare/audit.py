"""The security audit log (等级保护三级): who did what, when, from where, with what outcome.

Changes are recorded in the transaction that makes them: flush listeners on CKAN's session
turn the rows being written (users' passwords and sysadmin flag, API tokens, memberships,
entries' share and open types, workflow transitions such as grants) into audit rows of the
same flush, so a rolled-back change leaves no record and a committed one always has its
record, whichever action, page or command made it. Events that change nothing in the
database (sign-ins, exports, downloads) and what follows an action's own commit (a
sysadmin's writes, reported by CKAN's ``action_succeeded`` signal) are written on their own
connection at once.

Recording a new event is one line: ``audit.record(audit.SOME_EVENT, object_type, object_id,
detail)`` inside the transaction, or ``audit.record_now(...)`` outside one. Details never hold
passwords, tokens or resource URLs.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable, Iterator, Optional

import ckan.plugins.toolkit as tk
import flask
from ckan import authz, model
from ckan.lib import signals
from psycopg2 import errors
from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from ckanext.govshare import workdays
from ckanext.govshare.model import Audit, AuditEvent, Grant
from ckanext.govshare.model.audit import FAILURE, SUCCESS

# ------------------------------------------------------------------ events
LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGIN_THROTTLED = "login.throttled"
LOGOUT = "logout"
PASSWORD_CHANGED = "user.password_changed"
PASSWORD_RESET_REQUESTED = "user.password_reset_requested"
USER_CREATED = "user.created"
USER_DELETED = "user.deleted"
SYSADMIN_GRANTED = "user.sysadmin_granted"
SYSADMIN_REVOKED = "user.sysadmin_revoked"
TOKEN_CREATED = "token.created"
TOKEN_REVOKED = "token.revoked"
MEMBER_CREATED = "member.created"
MEMBER_ROLE_CHANGED = "member.role_changed"
MEMBER_DELETED = "member.deleted"
SHARE_TYPE_CHANGED = "entry.share_type_changed"
OPEN_TYPE_CHANGED = "entry.open_type_changed"
REGISTRATION_SUBMITTED = "registration.submitted"
REGISTRATION_CONFIRMED = "registration.confirmed"
# Workflow transitions (workflow.audit) are recorded as "<object type>.<action>".
GRANT_CREATED = "grant.create"
GRANT_REVOKED = "grant.revoke"
GRANT_EXPIRED = "grant.expire"
REQUEST_CREATED = "request.create"
CATALOG_STEP = "catalog.{step}"  # submit, confirm, return, propose (catalog_review.py)
DUTY_CHANGE_RECORDED = "catalog.duty_change"
EXPORTED = "data.exported"
DOWNLOADED = "data.downloaded"
SYSADMIN_ACTION = "sysadmin.action"
AUDIT_EXPORTED = "audit.exported"
AUDIT_PURGED = "audit.purged"

# Pages whose response carries data out in bulk: the event each records.
EXPORT_ENDPOINTS = {
    "govshare.usage_csv": EXPORTED,
    "govshare.audit_csv": AUDIT_EXPORTED,
    "datastore.dump": EXPORTED,
    "datatablesview.filtered_download": EXPORTED,
    "resource.download": DOWNLOADED,
    "dataset_resource.download": DOWNLOADED,
    "govshare.catalog_export": EXPORTED,
    "govshare.catalog_export_all": EXPORTED,
    "govshare.catalog_xml": EXPORTED,
    "govshare.catalog_xml_all": EXPORTED,
    "govshare.error_report_evidence": DOWNLOADED,
}
CATALOG_FIELDS = {"share_type": SHARE_TYPE_CHANGED, "open_type": OPEN_TYPE_CHANGED}
# Keys of an action's input never copied into a sysadmin action's record.
_SECRET_WORDS = ("password", "token", "secret", "key", "url", "upload")


def labels() -> dict[str, str]:
    """What the audit page calls each event (an event without a label shows its name)."""
    return {
        LOGIN_SUCCEEDED: tk._("Signed in"), LOGIN_FAILED: tk._("Sign-in failed"),
        LOGIN_THROTTLED: tk._("Sign-in refused (too many failures)"), LOGOUT: tk._("Signed out"),
        PASSWORD_CHANGED: tk._("Password changed"),
        PASSWORD_RESET_REQUESTED: tk._("Password reset requested"),
        USER_CREATED: tk._("User created"), USER_DELETED: tk._("User deleted"),
        SYSADMIN_GRANTED: tk._("Sysadmin rights granted"),
        SYSADMIN_REVOKED: tk._("Sysadmin rights revoked"),
        TOKEN_CREATED: tk._("API token created"), TOKEN_REVOKED: tk._("API token revoked"),
        MEMBER_CREATED: tk._("Member added"), MEMBER_ROLE_CHANGED: tk._("Member role changed"),
        MEMBER_DELETED: tk._("Member removed"),
        SHARE_TYPE_CHANGED: tk._("Share type changed"),
        OPEN_TYPE_CHANGED: tk._("Open type changed"),
        REGISTRATION_SUBMITTED: tk._("Registration submitted"),
        REGISTRATION_CONFIRMED: tk._("Registration confirmed"),
        GRANT_CREATED: tk._("Grant created"), GRANT_REVOKED: tk._("Grant revoked"),
        GRANT_EXPIRED: tk._("Grant expired"), REQUEST_CREATED: tk._("Request filed"),
        "request.approved": tk._("Request approved"), "request.refused": tk._("Request refused"),
        "request.withdrawn": tk._("Request withdrawn"),
        EXPORTED: tk._("Data exported"), DOWNLOADED: tk._("Data downloaded"),
        SYSADMIN_ACTION: tk._("Sysadmin action"), AUDIT_EXPORTED: tk._("Audit log exported"),
        AUDIT_PURGED: tk._("Old audit records purged"),
    }


# ------------------------------------------------------------------ who and where

def client_ip() -> Optional[str]:
    """The client's address: X-Forwarded-For is believed only for the number of proxies
    ``govshare.audit.trusted_proxies`` says are in front (werkzeug ProxyFix's x_for rule)."""
    if not flask.has_request_context():
        return None
    proxies = tk.config.get("govshare.audit.trusted_proxies")
    forwarded = [v.strip() for v in flask.request.headers.get("X-Forwarded-For", "").split(",")
                 if v.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return flask.request.remote_addr


def _request_user() -> Optional[model.User]:
    if not flask.has_request_context():
        return None
    user = tk.current_user
    if not user or user.is_anonymous:
        return None
    return user


def _row(event: str, object_type: Optional[str], object_id: Optional[str],
         detail: Optional[dict[str, Any]], outcome: str,
         actor: Optional[model.User], actor_name: Optional[str] = None) -> dict[str, Any]:
    actor = actor or _request_user()
    return {"event": event, "outcome": outcome, "object_type": object_type,
            "object_id": object_id, "detail": detail or None, "ip": client_ip(),
            "actor_id": actor.id if actor else None,
            "actor_name": actor.name if actor else actor_name}


def record(event: str, object_type: Optional[str] = None, object_id: Optional[str] = None,
           detail: Optional[dict[str, Any]] = None, outcome: str = SUCCESS,
           actor: Optional[model.User] = None) -> None:
    """An event of the current transaction: committed with it, or rolled back with it."""
    model.Session.add(AuditEvent(**_row(event, object_type, object_id, detail, outcome, actor)))


def record_now(event: str, object_type: Optional[str] = None, object_id: Optional[str] = None,
               detail: Optional[dict[str, Any]] = None, outcome: str = SUCCESS,
               actor: Optional[model.User] = None, actor_name: Optional[str] = None) -> None:
    """An event that is no change of the database (a sign-in, a download): written at once
    on its own connection, whatever becomes of the request's transaction."""
    row = _row(event, object_type, object_id, detail, outcome, actor, actor_name)
    try:
        with model.meta.engine.begin() as connection:
            connection.execute(AuditEvent.__table__.insert(), [row])
    except ProgrammingError as error:  # no log before `ckan db upgrade -p govshare`; every
        if not isinstance(error.orig, errors.UndefinedTable):  # download writes: no look-up first
            raise


def _installed(connection: Any) -> bool:
    """Before `ckan db upgrade -p govshare` (a fresh database, a test reset) there is no log."""
    return connection.scalar(text("SELECT to_regclass('govshare_audit_log')")) is not None


# ------------------------------------------------------------------ changes, in their flush

def _changed(obj: Any, attribute: str) -> Optional[tuple[Any, Any]]:
    """(before, after) of a column whose value this flush changes, else None."""
    history = inspect(obj).attrs[attribute].history
    if not history.has_changes():
        return None
    return (history.deleted[0] if history.deleted else None,
            history.added[0] if history.added else None)


def _user_changes(user: model.User, new: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    if new:
        pending = user.state == model.State.PENDING
        yield (REGISTRATION_SUBMITTED if pending else USER_CREATED), {"name": user.name}
        if user.sysadmin:
            yield SYSADMIN_GRANTED, {"name": user.name}
        return
    if _changed(user, "_password"):
        yield PASSWORD_CHANGED, {"name": user.name}
    if (flag := _changed(user, "sysadmin")) and bool(flag[0]) != bool(flag[1]):
        yield (SYSADMIN_GRANTED if flag[1] else SYSADMIN_REVOKED), {"name": user.name}
    if state := _changed(user, "state"):
        if state[1] == model.State.PENDING:
            yield REGISTRATION_SUBMITTED, {"name": user.name}
        elif state[0] == model.State.PENDING and state[1] == model.State.ACTIVE:
            yield REGISTRATION_CONFIRMED, {"name": user.name}
        elif state[1] == model.State.DELETED:
            yield USER_DELETED, {"name": user.name}


def _member_detail(member: model.Member) -> dict[str, Any]:
    group = model.Session.get(model.Group, member.group_id) if member.group_id else None
    return {"user_id": member.table_id, "group": group.name if group else member.group_id,
            "group_type": group.type if group else None, "capacity": member.capacity}


def _member_changes(member: model.Member, new: bool,
                    deleted: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    if member.table_name != "user":
        return
    if new:
        if member.state == model.State.ACTIVE:
            yield MEMBER_CREATED, _member_detail(member)
        return
    state = _changed(member, "state")
    if deleted or (state and state[1] == model.State.DELETED):
        yield MEMBER_DELETED, _member_detail(member)
    elif state and state[1] == model.State.ACTIVE:
        yield MEMBER_CREATED, _member_detail(member)
    elif capacity := _changed(member, "capacity"):
        yield MEMBER_ROLE_CHANGED, dict(_member_detail(member), previous=capacity[0])


_BEFORE = "govshare_audit_catalog_before"  # session.info: entries' stored extras by id


def _catalog_changes(session: Session, package: model.Package,
                     new: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    if not new and not _changed(package, "extras"):
        return
    after = package.extras or {}
    before = {} if new else session.info.get(_BEFORE, {}).get(package.id, {})
    for field, event in CATALOG_FIELDS.items():
        if before.get(field) != after.get(field) and (after.get(field) or before.get(field)):
            yield event, {"name": package.name, "from": before.get(field),
                          "to": after.get(field)}


def _workflow(entry: Audit) -> tuple[str, dict[str, Any], Optional[model.User]]:
    detail = dict(entry.detail or {}, **{k: v for k, v in (
        ("from", entry.from_state), ("to", entry.to_state)) if v})
    actor = model.Session.get(model.User, entry.user_id) if entry.user_id else None
    return f"{entry.object_type}.{entry.action}", detail, actor


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    """Entries' share and open types as stored before this flush (an in-place change of the
    extras keeps no history), for ``_after_flush``."""
    changed = [p.id for p in session.dirty
               if isinstance(p, model.Package) and _changed(p, "extras")]
    if changed:
        stored = session.connection().execute(
            text("SELECT id, extras FROM package WHERE id = ANY(:ids)"), {"ids": changed})
        session.info.setdefault(_BEFORE, {}).update({i: e or {} for i, e in stored})


def _after_flush(session: Session, flush_context: Any) -> None:
    """The audit rows of this flush's changes, written in the same transaction (the new
    objects have their ids now; their history is still the flush's)."""
    rows: list[dict[str, Any]] = []

    def add(event: str, object_type: str, object_id: str, detail: dict[str, Any],
            actor: Optional[model.User] = None) -> None:
        rows.append(_row(event, object_type, object_id, detail, SUCCESS, actor))

    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        new, deleted = obj in session.new, obj in session.deleted
        if isinstance(obj, model.User):
            for event, detail in _user_changes(obj, new):
                add(event, "user", obj.id, detail)
        elif isinstance(obj, model.ApiToken) and (new or deleted):
            add(TOKEN_CREATED if new else TOKEN_REVOKED, "api_token", obj.id,
                {"user_id": obj.user_id, "name": obj.name})
        elif isinstance(obj, model.Member):
            for event, detail in _member_changes(obj, new, deleted):
                add(event, "member", obj.id, detail)
        elif isinstance(obj, model.Package) and not deleted:
            for event, detail in _catalog_changes(session, obj, new):
                add(event, "package", obj.id, detail)
        elif isinstance(obj, Audit) and new:
            event, detail, actor = _workflow(obj)
            add(event, obj.object_type, obj.object_id, detail, actor)
    session.info.pop(_BEFORE, None)
    connection = session.connection()
    if rows and _installed(connection):
        connection.execute(AuditEvent.__table__.insert(), rows)


# ------------------------------------------------------------------ signals

def _signed_in(sender: Any, user: Any = None, **_: Any) -> None:
    record_now(LOGIN_SUCCEEDED, "user", user.id, actor=user)


def _sign_in_failed(login: str, **_: Any) -> None:
    """Who: the account the login names (by name or email), else the login as typed."""
    user = model.User.by_name(login) or model.User.by_email(login)
    record_now(LOGIN_FAILED, "user", user.id if user else None, {"login": login[:100]},
               FAILURE, actor=user, actor_name=login[:100])


def _signed_out(sender: Any, user: Any = None, **_: Any) -> None:
    if user is not None and not getattr(user, "is_anonymous", False):
        record_now(LOGOUT, "user", user.id, actor=user)


def _reset_requested(user_name: str, user: Any = None, **_: Any) -> None:
    record_now(PASSWORD_RESET_REQUESTED, "user", user.id if user else None,
               {"name": user_name})


def _inner_api_call(action: str) -> bool:
    """An action called by the action the API request asked for."""
    if not flask.has_request_context() or flask.request.endpoint != "api.action":
        return False
    return (flask.request.view_args or {}).get("logic_function") != action


def _action_done(action: str, context: Any = None, data_dict: Any = None, **_: Any) -> None:
    """A sysadmin's action that may write (not side-effect free): which action, on what,
    with which input fields (their names, never their values)."""
    name = (context or {}).get("user")
    if not name or getattr(tk.get_action(action), "side_effect_free", False):
        return
    if _inner_api_call(action):
        return  # the action it serves is recorded if it succeeds; it may yet be rolled back
    if name == tk.config.get("ckan.site_id") or not authz.is_sysadmin(name):
        return  # the site user is the platform itself (commands, jobs), not a person
    data = data_dict if isinstance(data_dict, dict) else {}
    target = data.get("id") or data.get("name")
    record_now(SYSADMIN_ACTION, "action", action, {
        "action": action, "target": target if isinstance(target, str) else None,
        "fields": sorted(k for k in data if isinstance(k, str)
                         and not any(w in k.lower() for w in _SECRET_WORDS))[:50]},
        actor=model.User.get(name))


def exported(response: flask.Response) -> flask.Response:
    """After a page of EXPORT_ENDPOINTS: what left, by whom (never the resource's URL)."""
    event = EXPORT_ENDPOINTS.get(flask.request.endpoint or "")
    if event:
        args = flask.request.view_args or {}
        detail = {k: args[k] for k in ("id", "resource_id") if k in args}
        detail.update(endpoint=flask.request.endpoint, status=response.status_code,
                      filters={k: v[:100] for k, v in flask.request.args.items()} or None)
        record_now(event, "resource" if "resource_id" in args else "page",
                   args.get("resource_id") or flask.request.endpoint, detail,
                   SUCCESS if response.status_code < 400 else FAILURE)
    return response


_SIGNALS = ((signals.user_logged_in, _signed_in), (signals.failed_login, _sign_in_failed),
            (signals.user_logged_out, _signed_out),
            (signals.request_password_reset, _reset_requested),
            (signals.action_succeeded, _action_done))


def connect() -> None:
    """Listen to CKAN's session and signals (idempotent: plugins load more than once)."""
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush)):
        if not sa_event.contains(model.Session, name, listener):
            sa_event.listen(model.Session, name, listener)
    for signal, receiver in _SIGNALS:
        signal.connect(receiver)


# ------------------------------------------------------------------ time

def record_expired_grants(today: Optional[datetime.date] = None) -> int:
    """Grants whose period ended get their GRANT_EXPIRED record once (not committed)."""
    today = today or workdays.today()
    recorded = select(AuditEvent.object_id).where(AuditEvent.event == GRANT_EXPIRED)
    ended = (model.Session.query(Grant)
             .filter(Grant.revoked.is_(None), Grant.valid_until < today,
                     Grant.id.notin_(recorded)).all())
    for grant in ended:
        record(GRANT_EXPIRED, "grant", grant.id, {
            "package_id": grant.package_id, "valid_until": grant.valid_until.isoformat()})
    model.Session.flush()
    return len(ended)


RETENTION_FLOOR = 180  # the same floor as the trigger of migration 0006_audit


def check_config(config: Any) -> None:
    """等级保护三级 keeps logs six months at least (the database refuses less)."""
    days = config.get("govshare.audit.retention_days")
    if days < RETENTION_FLOOR:
        raise RuntimeError(f"govshare.audit.retention_days must be at least {RETENTION_FLOOR}")


def purge(keep_days: Optional[int] = None) -> int:
    """Delete records older than the retention, through the one path the database allows
    (``govshare_audit_purge``), and record that it was done (not committed)."""
    keep_days = keep_days or tk.config.get("govshare.audit.retention_days")
    removed = model.Session.execute(text("SELECT govshare_audit_purge(:days)"),
                                    {"days": keep_days}).scalar()
    record(AUDIT_PURGED, detail={"retention_days": keep_days, "removed": removed})
    return removed


# ------------------------------------------------------------------ reading

def search(actor: Optional[str] = None, event: Optional[str] = None,
           since: Optional[datetime.datetime] = None) -> Any:
    """The records matching the filters, newest first (a query, to page or count)."""
    query = model.Session.query(AuditEvent)
    if actor:
        query = query.filter((AuditEvent.actor_name == actor) | (AuditEvent.actor_id == actor))
    if event:
        query = query.filter(AuditEvent.event == event)
    if since:
        if since.tzinfo is None:
            since = since.replace(tzinfo=datetime.timezone.utc)
        query = query.filter(AuditEvent.at >= since)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def known_events() -> list[str]:
    """Every event name recorded so far and every labelled one (the filter's choices)."""
    seen = {e for e, in model.Session.query(AuditEvent.event).distinct()}
    return sorted(seen | set(labels()))


def rows_csv(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM, for Excel), cells safe from formula injection."""
    import csv
    import io
    import json

    from ckanext.govshare.pages import CSV_BOM, spreadsheet_safe

    names = labels()
    headings = [tk._("Time"), tk._("Event"), tk._("Outcome"), tk._("User"), tk._("IP address"),
                tk._("Object type"), tk._("Object"), tk._("Detail")]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    yield CSV_BOM + out.getvalue()
    for r in records:
        out.seek(0)
        out.truncate()
        writer.writerow([spreadsheet_safe(str(v or "")) for v in (
            r["at"], names.get(r["event"], r["event"]), outcome_label(r["outcome"]),
            r["actor_name"], r["ip"], r["object_type"], r["object_id"],
            json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else "")])
        yield out.getvalue()


def outcome_label(outcome: str) -> str:
    return {SUCCESS: tk._("success"), FAILURE: tk._("failure")}.get(outcome, outcome)

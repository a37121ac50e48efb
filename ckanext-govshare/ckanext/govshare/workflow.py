"""What the workflow domains share: the request states, the audit trail, the people who
decide, and the daily deadline job (reminders, escalation, the authority's digest).

The domain modules (``requests``, ``grants``, ``cases``) build on this one and never
commit; the actions calling them commit once, at the end.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from ckanext.govshare import access, calendar, notify, workdays
from ckanext.govshare.model import Audit, OutboxMail, Request

SHARE, OPEN = "share", "open"
PENDING, APPROVED, REFUSED, WITHDRAWN = "pending", "approved", "refused", "withdrawn"
# What a request shows as beyond its stored state: pending and sent to the authority's queue,
# refused and taken to coordination (an open case), approved and its grant ended.
ESCALATED, COORDINATION, EXPIRED, REVOKED = "escalated", "coordination", "expired", "revoked"
ACTIVE, FUTURE = "active", "future"  # a grant's states besides expired and revoked
DIGEST_LINES = 50  # requests listed by name in the authority's digest; the rest are counted


def error(field: str, message: str) -> tk.ValidationError:
    return tk.ValidationError({field: [message]})


def violates(failure: IntegrityError, *constraints: str) -> bool:
    """Whether the database refused a row because of one of these unique indexes."""
    diag = getattr(failure.orig, "diag", None)
    return getattr(diag, "constraint_name", None) in constraints


def audit(object_type: str, object_id: str, action: str, user: Optional[model.User],
          from_state: Optional[str] = None, to_state: Optional[str] = None,
          **detail: Any) -> None:
    model.Session.add(Audit(object_type=object_type, object_id=object_id, action=action,
                            from_state=from_state, to_state=to_state,
                            user_id=user.id if user else None, detail=detail or None))


def state_label(state: str) -> str:
    return {PENDING: tk._("pending"), APPROVED: tk._("approved"), REFUSED: tk._("refused"),
            WITHDRAWN: tk._("withdrawn"), ESCALATED: tk._("Escalated to the data authority"),
            COORDINATION: tk._("in coordination"), EXPIRED: tk._("grant expired"),
            REVOKED: tk._("grant revoked")}.get(state, state)


def shown_state(request: dict[str, Any], case_open: bool = False,
                grant: Optional[dict[str, Any]] = None) -> str:
    """The one state a request's badge shows: what happened last that the user must know."""
    state = request["state"]
    if case_open:
        return COORDINATION
    if state == PENDING and request.get("escalated"):
        return ESCALATED
    if state == APPROVED and grant is not None and grant_state(grant) in (REVOKED, EXPIRED):
        return grant_state(grant)
    return state


def grant_state(grant: dict[str, Any]) -> str:
    """A grant (as_dict) is revoked, expired, active, or not yet valid (future)."""
    if grant["revoked"]:
        return REVOKED
    if grant["active"]:
        return ACTIVE
    return EXPIRED if grant["valid_until"] < workdays.today().isoformat() else FUTURE


def members(org_id: str, capacities: Iterable[str]) -> list[model.User]:
    return (model.Session.query(model.User)
            .join(model.Member, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id == org_id, model.Member.table_name == "user",
                    model.Member.state == "active", model.Member.capacity.in_(list(capacities)),
                    model.User.state == "active")
            .all())


def decider_capacities() -> tuple[str, ...]:
    return ("admin", "editor") if tk.config.get("govshare.request.editors_decide") else ("admin",)


def deciders(request: Request) -> list[model.User]:
    """The provider department's users who answer requests."""
    return members(request.provider_org_id, decider_capacities())


def authority_users() -> list[model.User]:
    org = model.Group.get(access.authority_org_name())
    return members(org.id, ("admin", "editor", "member")) if org else []


# ------------------------------------------------------------------ time

def remind_and_escalate(today: Optional[datetime.date] = None) -> dict[str, int]:
    """The daily job: remind providers near the deadline (one message per decider,
    listing their requests); send overdue requests to the data authority's queue, and
    tell the authority once a day, in one digest, what waits in that queue; send overdue
    error reports (纠错) to the authority too.

    Set-based, so that its cost does not grow with a statement per request: one UPDATE ...
    RETURNING marks the requests of each kind (a request decided meanwhile is left alone),
    then their audit records are inserted in bulk."""
    today = today or workdays.today()
    before = tk.config.get("govshare.request.remind_before_days")
    # Deadlines at most `before` working days away: up to the (before + 1)-th working day.
    remind_until = workdays.horizon(today, before + 1)
    due = model.Session.execute(
        update(Request)
        .where(Request.state == PENDING, Request.reminded.is_(False),
               Request.deadline >= today, Request.deadline < remind_until)
        .values(reminded=True)
        .returning(Request.id, Request.provider_org_id, Request.deadline, Request.package_id)
        .execution_options(synchronize_session="fetch")).all()
    overdue = model.Session.execute(
        update(Request)
        .where(Request.state == PENDING, Request.escalated.is_(False), Request.deadline < today)
        .values(escalated=True)
        .returning(Request.id)
        .execution_options(synchronize_session="fetch")).all()
    audits = ([_audit_row(request_id, "remind") for request_id, *_ in due]
              + [_audit_row(request_id, "escalate") for request_id, in overdue])
    if audits:
        model.Session.execute(insert(Audit), audits)
    _remind(due)
    _digest(today, {request_id for request_id, in overdue})
    from ckanext.govshare import error_reports  # it builds on this module
    error_reports.escalate(today)
    calendar.warn_authority(today)
    return {"reminded": len(due), "escalated": len(overdue)}


def _audit_row(object_id: str, action: str) -> dict[str, Any]:
    """What audit() records for a transition made by the system (no user, no detail)."""
    return {"object_type": "request", "object_id": object_id, "action": action,
            "from_state": PENDING, "to_state": PENDING, "user_id": None, "detail": None}


def _titles(package_ids: Iterable[str]) -> dict[str, str]:
    return dict(model.Session.query(model.Package.id, model.Package.title)
                .filter(model.Package.id.in_(set(package_ids))))


def _remind(due: list[Any]) -> None:
    """One reminder per decider, listing every request of theirs that is due soon."""
    by_org: dict[str, list[Any]] = defaultdict(list)
    for row in due:
        by_org[row.provider_org_id].append(row)
    titles = _titles(row.package_id for row in due)
    per_user: dict[str, tuple[model.User, list[Any]]] = {}
    for org_id, rows in by_org.items():
        for user in members(org_id, decider_capacities()):
            per_user.setdefault(user.id, (user, []))[1].extend(rows)
    messages: list[notify.Message] = []
    for user, rows in per_user.values():
        rows.sort(key=lambda r: r.deadline)
        lines = "\n".join(tk._("- {title}: due on {deadline}").format(
            title=titles.get(r.package_id, r.package_id), deadline=r.deadline) for r in rows)
        link = f"/govshare/requests/{rows[0].id}" if len(rows) == 1 else "/govshare/requests"
        messages.append(([user], tk._("{count} request(s) due soon").format(count=len(rows)),
                         tk._("Please decide these requests before their deadline:\n{lines}")
                         .format(lines=lines), link))
    notify.tell_many(messages)


def _digest(today: datetime.date, new: set[str]) -> None:
    """The authority's digest of its overdue queue: at most one a day (the outbox key),
    whatever the number of requests or of runs."""
    key = f"authority-digest:{today.isoformat()}"
    if model.Session.query(OutboxMail.id).filter(OutboxMail.key.like(key + ":%")).first():
        return
    queue = (model.Session.query(Request.id, Request.package_id, Request.deadline)
             .filter(Request.state == PENDING, Request.deadline < today)
             .order_by(Request.deadline, Request.created))
    total = queue.count()
    if not total:
        return
    shown = queue.limit(DIGEST_LINES).all()
    titles = _titles(r.package_id for r in shown)
    site = tk.config.get("ckan.site_url").rstrip("/")
    lines = [tk._("- {title}: due on {deadline}{new} {link}").format(
        title=titles.get(r.package_id, r.package_id), deadline=r.deadline,
        new=tk._(" (new today)") if r.id in new else "",
        link=f"{site}/govshare/requests/{r.id}") for r in shown]
    if total > len(shown):
        lines.append(tk._("… and {count} more in your queue.").format(count=total - len(shown)))
    body = tk._("{total} request(s) are overdue, {new} of them new today; the providers did "
                "not answer in time and you may decide them or open a coordination case:"
                "\n\n{lines}").format(total=total, new=len(new), lines="\n".join(lines))
    notify.tell(authority_users(), tk._("Overdue requests: {total}").format(total=total), body,
                link="/govshare/requests?tab=overdue", key=key)

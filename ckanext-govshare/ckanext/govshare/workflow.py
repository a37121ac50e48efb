"""The authorization step (requirements §4.1, §4.2): requests, decisions, deadlines.

Every transition runs in one database transaction, locks the request row
(``SELECT ... FOR UPDATE``) so two simultaneous decisions cannot both win,
writes an audit record, and queues the notifications it causes.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import insert, update

from ckanext.govshare import access, calendar, notify, workdays
from ckanext.govshare import schema as catalog
from ckanext.govshare.model import Audit, Case, Grant, Request

SHARE, OPEN = "share", "open"
PENDING, APPROVED, REFUSED, WITHDRAWN = "pending", "approved", "refused", "withdrawn"


def _error(field: str, message: str) -> tk.ValidationError:
    return tk.ValidationError({field: [message]})


def audit(object_type: str, object_id: str, action: str, user: Optional[model.User],
          from_state: Optional[str] = None, to_state: Optional[str] = None,
          **detail: Any) -> None:
    model.Session.add(Audit(object_type=object_type, object_id=object_id, action=action,
                            from_state=from_state, to_state=to_state,
                            user_id=user.id if user else None, detail=detail or None))


def _members(org_id: str, capacities: Iterable[str]) -> list[model.User]:
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
    return _members(request.provider_org_id, decider_capacities())


def authority_users() -> list[model.User]:
    org = model.Group.get(access.authority_org_name())
    return _members(org.id, ("admin", "editor", "member")) if org else []


def may_decide(user: Optional[model.User], request: Request) -> bool:
    """Provider deciders; the authority once the request is overdue (it coordinates)."""
    if user is None:
        return False
    if access.is_sysadmin(user):
        return True
    if any(u.id == user.id for u in deciders(request)):
        return True
    return request.is_overdue() and access.is_authority(user)


def decidable_clause(user: model.User) -> Any:
    """For lists, the requests waiting for this user: pending ones they may decide now,
    and for the authority also the applications waiting for its completeness check."""
    pending = Request.state == PENDING
    if access.is_sysadmin(user):
        return pending
    orgs = access.department_ids(user, decider_capacities())
    awaiting_precheck = (Request.kind == OPEN) & Request.prechecked.is_(False)
    clause = Request.provider_org_id.in_(orgs) & ~awaiting_precheck
    if access.is_authority(user):
        clause = clause | (Request.deadline < workdays.today()) | awaiting_precheck
    return pending & clause


def may_see(user: Optional[model.User], request: Request) -> bool:
    if user is None:
        return False
    if access.is_authority(user) or request.requester_user_id == user.id:
        return True
    departments = access.department_ids(user)
    return request.provider_org_id in departments or request.requester_org_id in departments


# ------------------------------------------------------------------ creating

def _resource_ids(package: model.Package, wanted: Optional[list[str]]) -> Optional[list[str]]:
    """None means every resource; unknown ids are an error naming them."""
    if not wanted:
        return None
    unknown = set(wanted) - {r.id for r in package.resources}
    if unknown:
        raise _error("resource_ids", tk._("Not resources of this entry: {ids}").format(
            ids=", ".join(sorted(unknown))))
    return sorted(set(wanted))


def _period(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise _error("period_end", tk._("The period cannot end before it starts"))
    if end < workdays.today():
        raise _error("period_end", tk._("The period has already ended"))


def _requester_org(user: model.User, wanted: Optional[str], package: model.Package) -> str:
    departments = access.department_ids(user)
    if wanted:
        org = model.Group.get(wanted)
        if org is None or org.id not in departments:
            raise _error("requester_org", tk._("You are not a member of this department"))
        departments = {org.id}
    departments.discard(package.owner_org)
    if not departments:
        raise _error("package_id", tk._("Only another government department can request this "
                                        "entry; the provider has its data already"))
    if len(departments) > 1:
        raise _error("requester_org", tk._("You belong to several departments: say which one requests"))
    return departments.pop()


def create_share_request(user: model.User, data: dict[str, Any]) -> Request:
    package = model.Package.get(data["package_id"])
    entry = access.Entry.of(package)
    if entry.share_type != "conditional":
        message = {
            "unconditional": tk._("This entry is shared unconditionally: its data is available "
                                  "to your department without a request"),
            "none": tk._("This entry is not shared; the data authority can open a coordination "
                         "case if your duties need it"),
        }.get(entry.share_type or "", tk._("Only conditional entries can be requested"))
        raise _error("package_id", message)
    org_id = _requester_org(user, data.get("requester_org"), package)
    allowed_use = set(catalog.extra_list(package, "usage_scope"))
    outside = set(data["usage_scope"]) - allowed_use
    if outside:
        raise _error("usage_scope", tk._("The entry does not allow this use: {uses}").format(
            uses=", ".join(catalog.choice_label("usage_scope", u) for u in sorted(outside))))
    _period(data["period_start"], data["period_end"])
    duplicate = model.Session.query(Request.id).filter(
        Request.package_id == package.id, Request.requester_org_id == org_id,
        Request.state == PENDING).first()
    if duplicate:
        raise _error("package_id", tk._("Your department already has a pending request for this "
                                        "entry ({id})").format(id=duplicate.id))
    request = Request(
        kind=SHARE, package_id=package.id, provider_org_id=package.owner_org,
        requester_org_id=org_id, requester_user_id=user.id,
        resource_ids=_resource_ids(package, data.get("resource_ids")),
        usage_scope=sorted(set(data["usage_scope"])), purpose=data["purpose"],
        basis=data["basis"], contact=data["contact"],
        period_start=data["period_start"], period_end=data["period_end"], state=PENDING,
        deadline=workdays.add_working_days(
            workdays.today(), tk.config.get("govshare.request.reply_working_days"), "package_id"))
    return _submitted(user, request, package)


def create_application(user: model.User, data: dict[str, Any]) -> Request:
    package = model.Package.get(data["package_id"])
    if access.Entry.of(package).open_type != "authorized":
        raise _error("package_id", tk._("Only authorized-open entries need an application"))
    if not data.get("commitment_accepted"):
        raise _error("commitment_accepted", tk._("You must accept the data security commitment"))
    today = workdays.today()
    _period(today, data["period_end"])
    request = Request(
        kind=OPEN, package_id=package.id, provider_org_id=package.owner_org,
        requester_user_id=user.id, resource_ids=_resource_ids(package, data.get("resource_ids")),
        purpose=data["purpose"], scenario=data["scenario"],
        security_measures=data["security_measures"],
        commitment_text=tk.config.get("govshare.application.commitment_text"),
        contact=data.get("contact"), period_start=today, period_end=data["period_end"],
        state=PENDING, prechecked=not tk.config.get("govshare.application.authority_precheck"),
        deadline=workdays.add_working_days(
            today, tk.config.get("govshare.request.reply_working_days"), "package_id"))
    return _submitted(user, request, package)


def _submitted(user: model.User, request: Request, package: model.Package) -> Request:
    model.Session.add(request)
    model.Session.flush()
    audit("request", request.id, "create", user, None, PENDING, kind=request.kind)
    recipients = (deciders(request) if request.kind == SHARE or request.prechecked
                  else authority_users())
    notify.tell(recipients, tk._("New request for {title}").format(title=package.title),
                tk._("A request for {title} is waiting for your decision; the deadline is "
                     "{deadline}.").format(title=package.title, deadline=request.deadline),
                link=f"/govshare/requests/{request.id}")
    model.Session.commit()
    notify.send_queued()
    return request


# ------------------------------------------------------------------ deciding

def locked(request_id: str) -> Request:
    """The request row, locked until commit: a concurrent decision waits, then sees the new state."""
    request = (model.Session.query(Request).filter(Request.id == request_id)
               .populate_existing().with_for_update().one_or_none())
    if request is None:
        raise tk.ObjectNotFound(tk._("Request not found"))
    return request


def state_label(state: str) -> str:
    return {PENDING: tk._("pending"), APPROVED: tk._("approved"), REFUSED: tk._("refused"),
            WITHDRAWN: tk._("withdrawn")}.get(state, state)


def _pending(request: Request) -> None:
    if request.state != PENDING:
        raise _error("id", tk._("This request is already {state}").format(
            state=state_label(request.state)))


def approve(user: model.User, request: Request, data: dict[str, Any]) -> Request:
    _pending(request)
    if request.kind == OPEN and not request.prechecked:
        raise _error("id", tk._("The data authority has not checked this application yet"))
    package = model.Package.get(request.package_id)
    resource_ids = request.resource_ids
    if data.get("resource_ids"):
        narrower = _resource_ids(package, data["resource_ids"])
        if request.resource_ids is not None and set(narrower) - set(request.resource_ids):
            raise _error("resource_ids", tk._("An approval may narrow the requested resources, "
                                              "not add to them"))
        resource_ids = narrower
    period_end = data.get("period_end") or request.period_end
    if period_end > request.period_end or period_end < request.period_start:
        raise _error("period_end", tk._("The approved period must lie within the requested one "
                                        "({start} to {end})").format(
            start=request.period_start, end=request.period_end))
    grant = Grant(package_id=request.package_id,
                  grantee_org_id=request.requester_org_id if request.kind == SHARE else None,
                  grantee_user_id=request.requester_user_id if request.kind == OPEN else None,
                  resource_ids=resource_ids, valid_from=max(request.period_start, workdays.today()),
                  valid_until=period_end, reason=tk._("Approved request {id}").format(id=request.id),
                  granted_by=user.id)
    model.Session.add(grant)
    model.Session.flush()
    audit("grant", grant.id, "create", user, None, "active", request_id=request.id)
    return _decided(user, request, APPROVED, data.get("comment"), grant_id=grant.id)


def refuse(user: model.User, request: Request, reason: str) -> Request:
    _pending(request)
    return _decided(user, request, REFUSED, reason)


def withdraw(user: model.User, request: Request) -> Request:
    _pending(request)
    return _decided(user, request, WITHDRAWN, None)


def _decided(user: model.User, request: Request, state: str, note: Optional[str],
             grant_id: Optional[str] = None) -> Request:
    previous = request.state
    request.state = state
    request.decided = datetime.datetime.utcnow()
    request.decided_by = user.id
    request.decision_note = note
    request.grant_id = grant_id
    audit("request", request.id, state, user, previous, state, note=note)
    package = model.Package.get(request.package_id)
    if state != WITHDRAWN:
        requester = model.User.get(request.requester_user_id)
        subject = (tk._("Your request for {title} was approved") if state == APPROVED
                   else tk._("Your request for {title} was refused")).format(title=package.title)
        notify.tell([requester], subject, note or subject, link=f"/govshare/requests/{request.id}")
    model.Session.commit()
    notify.send_queued()
    return request


def precheck(user: model.User, request: Request) -> Request:
    """The authority confirms an application is complete; it then goes to the provider."""
    _pending(request)
    if request.kind != OPEN or request.prechecked:
        raise _error("id", tk._("This application needs no completeness check"))
    request.prechecked = True
    audit("request", request.id, "precheck", user, PENDING, PENDING)
    notify.tell(deciders(request), tk._("New application to review"),
                tk._("An application passed the authority's completeness check and waits "
                     "for your decision."), link=f"/govshare/requests/{request.id}")
    model.Session.commit()
    notify.send_queued()
    return request


# ------------------------------------------------------------------ time

def remind_and_escalate(today: Optional[datetime.date] = None) -> dict[str, int]:
    """The scheduled job: remind providers near the deadline; send overdue requests
    to the data authority's queue. Each request is reminded and escalated once.

    Set-based, so that its cost does not grow with a statement per request: one UPDATE ...
    RETURNING marks the requests of each kind (a request decided meanwhile is left alone),
    then their audit records and notifications are inserted in bulk."""
    today = today or workdays.today()
    before = tk.config.get("govshare.request.remind_before_days")
    # Deadlines at most `before` working days away: up to the (before + 1)-th working day.
    remind_until = workdays.horizon(today, before + 1)
    due = model.Session.execute(
        update(Request)
        .where(Request.state == PENDING, Request.reminded.is_(False),
               Request.deadline >= today, Request.deadline < remind_until)
        .values(reminded=True)
        .returning(Request.id, Request.provider_org_id, Request.deadline)
        .execution_options(synchronize_session="fetch")).all()
    overdue = model.Session.execute(
        update(Request)
        .where(Request.state == PENDING, Request.escalated.is_(False), Request.deadline < today)
        .values(escalated=True)
        .returning(Request.id, Request.deadline)
        .execution_options(synchronize_session="fetch")).all()

    audits: list[dict[str, Any]] = []
    messages: list[notify.Message] = []
    provider_deciders: dict[str, list[model.User]] = {}
    for request_id, org_id, deadline in due:
        if org_id not in provider_deciders:
            provider_deciders[org_id] = _members(org_id, decider_capacities())
        audits.append(_audit_row("request", request_id, "remind", PENDING, PENDING))
        messages.append((provider_deciders[org_id],
                         tk._("A request is due on {deadline}").format(deadline=deadline),
                         tk._("Please decide the request before its deadline."),
                         f"/govshare/requests/{request_id}"))
    authority = authority_users() if overdue else []
    for request_id, deadline in overdue:
        audits.append(_audit_row("request", request_id, "escalate", PENDING, PENDING))
        messages.append((authority, tk._("A request is overdue"), tk._(
            "The provider did not answer by {deadline}; the request is in your queue.").format(
            deadline=deadline), f"/govshare/requests/{request_id}"))
    if audits:
        model.Session.execute(insert(Audit), audits)
    notify.tell_many(messages)
    calendar.warn_authority(today)
    model.Session.commit()
    notify.send_queued()
    return {"reminded": len(due), "escalated": len(overdue)}


def _audit_row(object_type: str, object_id: str, action: str, from_state: Optional[str],
               to_state: Optional[str]) -> dict[str, Any]:
    """What audit() records for a transition made by the system (no user, no detail)."""
    return {"object_type": object_type, "object_id": object_id, "action": action,
            "from_state": from_state, "to_state": to_state, "user_id": None, "detail": None}


# ------------------------------------------------------------------ cases

def open_case(user: model.User, data: dict[str, Any]) -> Case:
    package = model.Package.get(data["package_id"])
    request_id = data.get("request_id")
    if request_id:
        request = model.Session.get(Request, request_id)
        if request is None or request.package_id != package.id:
            raise _error("request_id", tk._("No such request for this entry"))
        if request.state != REFUSED and not request.is_overdue():
            raise _error("request_id", tk._("Only a refused or overdue request goes to coordination"))
    elif access.Entry.of(package).share_type != "none":
        raise _error("package_id", tk._("Without a request, a case is for a not-shared entry "
                                        "that a department needs"))
    case = Case(package_id=package.id, request_id=request_id, description=data["description"],
                created_by=user.id)
    model.Session.add(case)
    model.Session.flush()
    audit("case", case.id, "create", user, None, "open", request_id=request_id)
    model.Session.commit()
    return case


def resolve_case(user: model.User, case_id: str, outcome: str) -> Case:
    case = (model.Session.query(Case).filter(Case.id == case_id)
            .populate_existing().with_for_update().one_or_none())
    if case is None:
        raise tk.ObjectNotFound(tk._("Case not found"))
    if case.state != "open":
        raise _error("id", tk._("This case is already resolved"))
    case.state, case.outcome = "resolved", outcome
    case.resolved, case.resolved_by = datetime.datetime.utcnow(), user.id
    audit("case", case.id, "resolve", user, "open", "resolved")
    model.Session.commit()
    return case

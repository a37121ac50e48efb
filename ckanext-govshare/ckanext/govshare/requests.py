"""Share requests (共享申请) and open-data applications (开放申请): who may file and see
them, their creation and their decisions (requirements §4.1, §4.2).

Nothing here commits: the action that calls it does, once. A decision locks the request
row (``SELECT ... FOR UPDATE``) so that two simultaneous decisions cannot both win; one
pending request per department (or user) and entry is a unique index, so that two
simultaneous submissions cannot both be saved.
"""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import exists, false, true
from sqlalchemy.exc import IntegrityError

from ckanext.govshare import access, codes, grants, notify, timeliness, workdays
from ckanext.govshare import schema as catalog
from ckanext.govshare.model import Grant, Request
from ckanext.govshare.workflow import (APPROVED, OPEN, PENDING, REFUSED, SHARE, WITHDRAWN,
                                       audit, authority_users, decider_capacities, deciders,
                                       error, state_label, violates)


# ------------------------------------------------------------------ who

def requesting_departments(user: Optional[model.User],
                           provider_org: Optional[str] = None) -> set[str]:
    """Who may file a share request: members of a government department, for each of their
    departments but the entry's provider (which has the data already)."""
    return access.department_ids(user) - {provider_org}


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


def visible_clause(user: Optional[model.User]) -> Any:
    """The requests a user may see, as SQL: the authority's all; others those of their
    departments (as provider or requester) and their own. The one definition: may_see()
    asks the database through it."""
    if user is None:
        return false()
    if access.is_authority(user) or access.is_sysadmin(user):
        return true()
    departments = list(access.department_ids(user))
    return (Request.provider_org_id.in_(departments) | Request.requester_org_id.in_(departments)
            | (Request.requester_user_id == user.id))


def may_see(user: Optional[model.User], request: Request) -> bool:
    return model.Session.query(exists().where(
        Request.id == request.id, visible_clause(user))).scalar()


# ------------------------------------------------------------------ creating

def _period(start: datetime.date, end: datetime.date) -> None:
    if end < start:
        raise error("period_end", tk._("The period cannot end before it starts"))
    if end < workdays.today():
        raise error("period_end", tk._("The period has already ended"))


def _requester_org(user: model.User, wanted: Optional[str], package: model.Package) -> str:
    departments = requesting_departments(user, package.owner_org)
    if wanted:
        org = model.Group.get(wanted)
        if org is None or org.id not in access.department_ids(user):
            raise error("requester_org", tk._("You are not a member of this department"))
        departments &= {org.id}
    if not departments:
        raise error("package_id", tk._("Only another government department can request this "
                                       "entry; the provider has its data already"))
    if len(departments) > 1:
        raise error("requester_org", tk._("You belong to several departments: say which one requests"))
    return departments.pop()


def _deadline(today: datetime.date) -> datetime.date:
    return workdays.add_working_days(today, tk.config.get("govshare.request.reply_working_days"),
                                     "package_id")


def create_share_request(user: model.User, data: dict[str, Any]) -> Request:
    package = model.Package.get(data["package_id"])
    entry = access.Entry.of(package)
    if entry.share_type != codes.CONDITIONAL:
        message = {
            codes.UNCONDITIONAL: tk._("This entry is shared unconditionally: its data is available "
                                  "to your department without a request"),
            codes.NOT_SHARED: tk._("This entry is not shared; the data authority can open a coordination "
                         "case if your duties need it"),
        }.get(entry.share_type or "", tk._("Only conditional entries can be requested"))
        raise error("package_id", message)
    org_id = _requester_org(user, data.get("requester_org"), package)
    timeliness.check_may_request(org_id)
    allowed_use = set(catalog.extra_list(package, "usage_scope"))
    outside = set(data["usage_scope"]) - allowed_use
    if outside:
        raise error("usage_scope", tk._("The entry does not allow this use: {uses}").format(
            uses=", ".join(catalog.choice_label("usage_scope", u) for u in sorted(outside))))
    _period(data["period_start"], data["period_end"])
    request = Request(
        kind=SHARE, package_id=package.id, provider_org_id=package.owner_org,
        requester_org_id=org_id, requester_user_id=user.id,
        resource_ids=grants.resource_ids(package, data.get("resource_ids")),
        usage_scope=sorted(set(data["usage_scope"])), purpose=data["purpose"],
        basis=data["basis"], contact=data["contact"],
        period_start=data["period_start"], period_end=data["period_end"], state=PENDING,
        deadline=_deadline(workdays.today()))
    return _submitted(user, request, package)


def create_application(user: model.User, data: dict[str, Any]) -> Request:
    package = model.Package.get(data["package_id"])
    if access.Entry.of(package).open_type != codes.AUTHORIZED:
        raise error("package_id", tk._("Only authorized-open entries need an application"))
    if not data.get("commitment_accepted"):
        raise error("commitment_accepted", tk._("You must accept the data security commitment"))
    today = workdays.today()
    _period(today, data["period_end"])
    request = Request(
        kind=OPEN, package_id=package.id, provider_org_id=package.owner_org,
        requester_user_id=user.id, resource_ids=grants.resource_ids(package, data.get("resource_ids")),
        purpose=data["purpose"], scenario=data["scenario"],
        security_measures=data["security_measures"],
        commitment_text=tk.config.get("govshare.application.commitment_text"),
        contact=data.get("contact"), period_start=today, period_end=data["period_end"],
        state=PENDING, prechecked=not tk.config.get("govshare.application.authority_precheck"),
        deadline=_deadline(today))
    return _submitted(user, request, package)


def _pending_twin(request: Request) -> Optional[str]:
    """The id of the pending request that the unique index says this one repeats."""
    same = (Request.requester_org_id == request.requester_org_id if request.kind == SHARE
            else Request.requester_user_id == request.requester_user_id)
    return model.Session.scalar(model.Session.query(Request.id).filter(
        Request.kind == request.kind, Request.package_id == request.package_id,
        Request.state == PENDING, same).limit(1))


def _submitted(user: model.User, request: Request, package: model.Package) -> Request:
    try:
        with model.Session.begin_nested():
            model.Session.add(request)
    except IntegrityError as failure:
        if not violates(failure, "govshare_request_one_pending_share",
                        "govshare_request_one_pending_open"):
            raise
        message = (tk._("Your department already has a pending request for this entry ({id})")
                   if request.kind == SHARE else
                   tk._("You already have a pending application for this entry ({id})"))
        raise error("package_id", message.format(id=_pending_twin(request)))
    audit("request", request.id, "create", user, None, PENDING, kind=request.kind)
    recipients = (deciders(request) if request.kind == SHARE or request.prechecked
                  else authority_users())
    notify.tell(recipients, tk._("New request for {title}").format(title=package.title),
                tk._("A request for {title} is waiting for your decision; the deadline is "
                     "{deadline}.").format(title=package.title, deadline=request.deadline),
                link=f"/govshare/requests/{request.id}")
    return request


# ------------------------------------------------------------------ deciding

def locked(request_id: str) -> Request:
    """The request row, locked until commit: a concurrent decision waits, then sees the new state."""
    request = (model.Session.query(Request).filter(Request.id == request_id)
               .populate_existing().with_for_update().one_or_none())
    if request is None:
        raise tk.ObjectNotFound(tk._("Request not found"))
    return request


def _pending(request: Request) -> None:
    if request.state != PENDING:
        raise error("id", tk._("This request is already {state}").format(
            state=state_label(request.state)))


def approve(user: model.User, request: Request, data: dict[str, Any]) -> Request:
    """Approve, possibly for fewer resources or a shorter period; the grant is made by the
    grants module, with the same checks as a grant given directly."""
    _pending(request)
    if request.kind == OPEN and not request.prechecked:
        raise error("id", tk._("The data authority has not checked this application yet"))
    package = model.Package.get(request.package_id)
    resource_ids = request.resource_ids
    if data.get("resource_ids"):
        narrower = grants.resource_ids(package, data["resource_ids"])
        if request.resource_ids is not None and set(narrower) - set(request.resource_ids):
            raise error("resource_ids", tk._("An approval may narrow the requested resources, "
                                             "not add to them"))
        resource_ids = narrower
    period_end = data.get("period_end") or request.period_end
    if period_end > request.period_end or period_end < request.period_start:
        raise error("period_end", tk._("The approved period must lie within the requested one "
                                       "({start} to {end})").format(
            start=request.period_start, end=request.period_end))
    grant = grants.create(
        user, package, grantee_org_id=request.requester_org_id if request.kind == SHARE else None,
        grantee_user_id=request.requester_user_id if request.kind == OPEN else None,
        resources=resource_ids, valid_from=max(request.period_start, workdays.today()),
        valid_until=period_end, reason=tk._("Approved request {id}").format(id=request.id),
        request_id=request.id)
    return _decided(user, request, APPROVED, data.get("comment"), grant=grant)


def refuse(user: model.User, request: Request, reason: str) -> Request:
    _pending(request)
    return _decided(user, request, REFUSED, reason)


def withdraw(user: model.User, request: Request) -> Request:
    _pending(request)
    return _decided(user, request, WITHDRAWN, None)


def granted_resources(package_id: str, resource_ids: Optional[list[str]]) -> list[str]:
    """The names of the resources a grant covers (None: every resource of the entry), in
    the entry's order."""
    package = model.Package.get(package_id)
    return [r.name or r.id[:8] for r in (package.resources if package else [])
            if resource_ids is None or r.id in resource_ids]


def granted_text(grant: Grant) -> str:
    """What an approval gave, in words: the grant's resources and period, which may be
    narrower than the request's."""
    names = "、".join(granted_resources(grant.package_id, grant.resource_ids))
    resources = (tk._("all resources ({names})").format(names=names)
                 if grant.resource_ids is None else names)
    return tk._("Approved resources: {resources}. Approved period: {start} to {end}.").format(
        resources=resources, start=grant.valid_from, end=grant.valid_until)


def _decided(user: model.User, request: Request, state: str, note: Optional[str],
             grant: Optional[Grant] = None) -> Request:
    previous = request.state
    request.state = state
    request.decided = datetime.datetime.utcnow()
    request.decided_by = user.id
    request.decision_note = note
    request.grant_id = grant.id if grant else None
    audit("request", request.id, state, user, previous, state, note=note)
    package = model.Package.get(request.package_id)
    if state != WITHDRAWN:
        requester = model.User.get(request.requester_user_id)
        if state == APPROVED:
            subject = tk._("Your request for {title} was approved").format(title=package.title)
            lines = [granted_text(grant)]
            if note:
                lines.append(tk._("Comment: {note}").format(note=note))
        else:
            subject = tk._("Your request for {title} was refused").format(title=package.title)
            lines = [tk._("Reason: {note}").format(note=note)]
            if request.kind == SHARE:
                lines.append(tk._("If your duties need this data, you may ask the data "
                                  "authority for coordination from the request's page."))
        notify.tell([requester], subject, "\n".join(lines),
                    link=f"/govshare/requests/{request.id}")
    return request


def precheck(user: model.User, request: Request) -> Request:
    """The authority confirms an application is complete; it then goes to the provider."""
    _pending(request)
    if request.kind != OPEN or request.prechecked:
        raise error("id", tk._("This application needs no completeness check"))
    request.prechecked = True
    audit("request", request.id, "precheck", user, PENDING, PENDING)
    notify.tell(deciders(request), tk._("New application to review"),
                tk._("An application passed the authority's completeness check and waits "
                     "for your decision."), link=f"/govshare/requests/{request.id}")
    return request

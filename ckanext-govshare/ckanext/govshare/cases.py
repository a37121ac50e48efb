"""Coordination cases (协调): the data authority takes up a refused or overdue request,
or a not-shared entry a department needs; the requester of a refused request may ask for
one (申请协调). One open case per request is a unique index; nothing here commits."""
from __future__ import annotations

import datetime
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy import exists, false, or_, select, true
from sqlalchemy.exc import IntegrityError

from ckanext.govshare import access, codes, notify, requests
from ckanext.govshare.model import Case, Request
from ckanext.govshare.workflow import (REFUSED, audit, authority_users, deciders, error,
                                       violates)

OPEN, RESOLVED = "open", "resolved"


def is_requester(user: Optional[model.User], request: Request) -> bool:
    return user is not None and (request.requester_user_id == user.id
                                 or request.requester_org_id in access.department_ids(user))


def may_open(user: Optional[model.User], request_id: Optional[str]) -> bool:
    """The authority opens any case; a requester asks for one on their own request."""
    if user is None:
        return False
    if access.is_authority(user) or access.is_sysadmin(user):
        return True
    request = model.Session.get(Request, request_id) if request_id else None
    return request is not None and is_requester(user, request)


def visible_clause(user: Optional[model.User]) -> Any:
    """The cases a user may see, as SQL: the authority's all; others those they opened, those
    of requests they may see, and those about their departments' entries."""
    if user is not None and (access.is_authority(user) or access.is_sysadmin(user)):
        return true()
    if user is None:
        return false()
    departments = list(access.department_ids(user))
    return or_(Case.created_by == user.id,
               Case.request_id.in_(select(Request.id).where(requests.visible_clause(user))),
               Case.package_id.in_(select(model.Package.id)
                                   .where(model.Package.owner_org.in_(departments))))


def may_see(user: Optional[model.User], case: Case) -> bool:
    return model.Session.query(exists().where(Case.id == case.id, visible_clause(user))).scalar()


def open_case(user: model.User, data: dict[str, Any]) -> Case:
    package = model.Package.get(data["package_id"])
    request_id = data.get("request_id")
    request = None
    if request_id:
        request = model.Session.get(Request, request_id)
        if request is None or request.package_id != package.id:
            raise error("request_id", tk._("No such request for this entry"))
        if request.state != REFUSED and not request.is_overdue():
            raise error("request_id", tk._("Only a refused or overdue request goes to coordination"))
    elif access.Entry.of(package).share_type != codes.NOT_SHARED:
        raise error("package_id", tk._("Without a request, a case is for a not-shared entry "
                                       "that a department needs"))
    case = Case(package_id=package.id, request_id=request_id or None,
                description=data["description"], created_by=user.id, state=OPEN)
    try:
        with model.Session.begin_nested():
            model.Session.add(case)
    except IntegrityError as failure:
        if not violates(failure, "govshare_case_one_open_per_request"):
            raise
        raise error("request_id", tk._("This request already has an open coordination case"))
    audit("case", case.id, "create", user, None, OPEN, request_id=request_id)
    if not access.is_authority(user):
        notify.tell(authority_users(), tk._("Coordination asked for {title}").format(
            title=package.title), tk._("{user} asks for coordination on a refused request:"
                                       "\n{description}").format(
            user=user.display_name, description=case.description),
            link=f"/govshare/cases/{case.id}")
    return case


def resolve_case(user: model.User, case_id: str, outcome: str) -> Case:
    case = (model.Session.query(Case).filter(Case.id == case_id)
            .populate_existing().with_for_update().one_or_none())
    if case is None:
        raise tk.ObjectNotFound(tk._("Case not found"))
    if case.state != OPEN:
        raise error("id", tk._("This case is already resolved"))
    case.state, case.outcome = RESOLVED, outcome
    case.resolved, case.resolved_by = datetime.datetime.utcnow(), user.id
    audit("case", case.id, "resolve", user, OPEN, RESOLVED)
    _tell_resolved(case)
    return case


def _tell_resolved(case: Case) -> None:
    """Who opened the case, the requester and the provider's deciders learn the outcome."""
    package = model.Package.get(case.package_id)
    told = [model.User.get(case.created_by)]
    request = model.Session.get(Request, case.request_id) if case.request_id else None
    if request is not None:
        told += [model.User.get(request.requester_user_id)]
        told += deciders(request)
    notify.tell(told, tk._("Coordination on {title} resolved").format(title=package.title),
                tk._("Outcome: {outcome}").format(outcome=case.outcome),
                link=f"/govshare/cases/{case.id}")

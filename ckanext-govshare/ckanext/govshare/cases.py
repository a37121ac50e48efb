"""Coordination cases (协商): the data authority takes up a refused or overdue request,
or a not-shared entry a department needs. One open case per request is a unique index;
nothing here commits."""
from __future__ import annotations

import datetime
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from sqlalchemy.exc import IntegrityError

from ckanext.govshare import access, codes
from ckanext.govshare.model import Case, Request
from ckanext.govshare.workflow import REFUSED, audit, error, violates

OPEN, RESOLVED = "open", "resolved"


def open_case(user: model.User, data: dict[str, Any]) -> Case:
    package = model.Package.get(data["package_id"])
    request_id = data.get("request_id")
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
    return case

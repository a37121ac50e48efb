"""Data demands (数据需求): a citizen or company asks for data that is not open yet; the
data authority routes the demand to the department that holds it, which answers within
``govshare.demand.reply_working_days`` working days: ``will_open`` (with the entry that
will carry the data) or ``not_available`` (with the reason).

Demands are public, as a portal's 需求公示 is: what was asked, to whom it went, the answer.
Of the person who asked, only the display name is shown. Nothing here commits: the action
that calls it does, once; answering and routing lock the demand row.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable, Optional

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.govshare import access, notify, workdays
from ckanext.govshare.model import Demand, _iso
from ckanext.govshare.model.demand import ANSWERED, NOT_AVAILABLE, ROUTED, SUBMITTED, WILL_OPEN
from ckanext.govshare.workflow import audit, authority_users, error, members

OUTCOMES = (WILL_OPEN, NOT_AVAILABLE)
# Who answers for the department: those who may edit its entries.
ANSWERERS = ("admin", "editor")


def state_label(state: str) -> str:
    return {SUBMITTED: tk._("awaiting routing by the data authority"),
            ROUTED: tk._("with the department"), ANSWERED: tk._("answered")}.get(state, state)


def outcome_label(outcome: Optional[str]) -> str:
    return {WILL_OPEN: tk._("will be opened"),
            NOT_AVAILABLE: tk._("cannot be provided")}.get(outcome or "", outcome or "")


def link(demand_id: str) -> str:
    return f"/govshare/demands/{demand_id}"


# ------------------------------------------------------------------ who

def may_route(user: Optional[model.User]) -> bool:
    return access.is_authority(user) or access.is_sysadmin(user)


def may_reply(user: Optional[model.User], demand: Demand) -> bool:
    """The routed department's administrators and editors."""
    if user is None or demand.department_id is None:
        return False
    return access.is_sysadmin(user) or demand.department_id in access.department_ids(
        user, ANSWERERS)


def names(rows: Iterable[Demand]) -> dict[str, Any]:
    """The requesters' display names and the departments (by id), in two queries for a list."""
    rows = list(rows)
    users = {d.requester_id for d in rows}
    groups = {d.department_id for d in rows if d.department_id}
    found: dict[str, Any] = {u.id: u.display_name for u in model.Session.query(
        model.User).filter(model.User.id.in_(users))} if users else {}
    if groups:
        found.update({g.id: g for g in model.Session.query(model.Group).filter(
            model.Group.id.in_(groups))})
    return found


def as_dict(demand: Demand, viewer: Optional[model.User],
            known: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """What anyone may see of a demand: the requester by display name only, the answer's
    entry only to those who may see that entry."""
    known = known if known is not None else names([demand])
    department = known.get(demand.department_id) if demand.department_id else None
    entry = model.Package.get(demand.package_id) if demand.package_id else None
    if entry is not None and not access.can_see_entry(viewer, entry):
        entry = None
    return {
        "id": demand.id, "title": demand.title, "description": demand.description,
        "wanted_fields": demand.wanted_fields, "purpose": demand.purpose,
        "requester": known.get(demand.requester_id, ""),
        "mine": viewer is not None and viewer.id == demand.requester_id,
        "created": _iso(demand.created), "state": demand.state,
        "department": department.name if department else None,
        "department_title": (department.title or department.name) if department else None,
        "routed": _iso(demand.routed), "deadline": _iso(demand.deadline),
        "overdue": demand.is_overdue(), "outcome": demand.outcome, "answer": demand.answer,
        "entry": {"id": entry.id, "name": entry.name, "title": entry.title or entry.name}
        if entry is not None else None,
        "answered": _iso(demand.answered),
    }


# ------------------------------------------------------------------ steps

def create(user: model.User, data: dict[str, Any]) -> Demand:
    demand = Demand(title=data["title"], description=data["description"],
                    wanted_fields=data["wanted_fields"], purpose=data["purpose"],
                    requester_id=user.id, state=SUBMITTED)
    model.Session.add(demand)
    model.Session.flush()
    audit("demand", demand.id, "create", user, None, SUBMITTED)
    notify.tell(authority_users(), tk._("New data demand: {title}").format(title=demand.title),
                tk._("A user asks for data that is not open yet: {title}\n"
                     "Please route it to the department that holds it.").format(
                    title=demand.title), link=link(demand.id))
    return demand


def locked(demand_id: str) -> Demand:
    """The demand row, locked until commit: a concurrent step waits, then sees the new state."""
    demand = (model.Session.query(Demand).filter(Demand.id == demand_id)
              .populate_existing().with_for_update().one_or_none())
    if demand is None:
        raise tk.ObjectNotFound(tk._("Data demand not found"))
    return demand


def route(user: model.User, demand: Demand, department_name: str) -> Demand:
    """To a department, with the deadline of its answer; an unanswered demand may be routed
    again (to the right department), with a new deadline."""
    department = model.Group.get(department_name)
    if department is None or not department.is_organization or department.state != "active":
        raise error("department", tk._("Department not found"))
    if demand.state == ANSWERED:
        raise error("id", tk._("This data demand is already answered"))
    previous = demand.state
    demand.department_id = department.id
    demand.state = ROUTED
    demand.routed = datetime.datetime.utcnow()
    demand.routed_by = user.id
    demand.deadline = workdays.add_working_days(
        workdays.today(), tk.config.get("govshare.demand.reply_working_days"), "department")
    audit("demand", demand.id, "route", user, previous, ROUTED, department=department.name)
    notify.tell(members(department.id, ANSWERERS),
                tk._("Data demand for your department: {title}").format(title=demand.title),
                tk._("The data authority routed a data demand to your department: {title}\n"
                     "Please answer by {deadline}.").format(title=demand.title,
                                                            deadline=demand.deadline),
                link=link(demand.id))
    notify.tell([model.User.get(demand.requester_id)],
                tk._("Your data demand {title} went to {department}").format(
                    title=demand.title, department=department.title or department.name),
                tk._("The department answers by {deadline}.").format(deadline=demand.deadline),
                link=link(demand.id))
    return demand


def reply(user: model.User, demand: Demand, outcome: str, answer: str,
          package_id: Optional[str]) -> Demand:
    """``will_open`` names the entry (one the answerer can see) that carries or will carry
    the data; ``not_available`` gives the reason in ``answer``."""
    if outcome not in OUTCOMES:
        raise error("outcome", tk._("The outcome is either will_open (the data will be opened, "
                                    "in the entry named) or not_available (with the reason)"))
    if demand.state != ROUTED:
        raise error("id", tk._("This data demand is not waiting for an answer: {state}").format(
            state=state_label(demand.state)))
    if outcome == WILL_OPEN and not package_id:
        raise error("package_id", tk._("Name the entry that will carry the data"))
    demand.state = ANSWERED
    demand.outcome = outcome
    demand.answer = answer
    demand.package_id = model.Package.get(package_id).id if outcome == WILL_OPEN else None
    demand.answered = datetime.datetime.utcnow()
    demand.answered_by = user.id
    audit("demand", demand.id, outcome, user, ROUTED, ANSWERED)
    subject = tk._("Your data demand {title}: {outcome}").format(
        title=demand.title, outcome=outcome_label(outcome))
    notify.tell([model.User.get(demand.requester_id)], subject, f"{subject}\n{answer}",
                link=link(demand.id))
    return demand

"""Data demands (数据需求) and showcases (应用成果)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict
from sqlalchemy import case

from ckanext.govshare import access, demands, showcases
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated
from ckanext.govshare.model import Demand, Showcase, ShowcaseEntry
from ckanext.govshare.model.demand import APPROVED, REJECTED, ROUTED

__all__ = ["govshare_demand_create", "govshare_demand_route", "govshare_demand_reply",
           "govshare_demand_list", "govshare_demand_show",
           "govshare_showcase_create", "govshare_showcase_approve", "govshare_showcase_reject",
           "govshare_showcase_list", "govshare_showcase_show"]


# ------------------------------------------------------------------ data demands

def govshare_demand_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask for data that is not open yet.

    :param title; :param description: what data; :param wanted_fields: the fields (数据项)
    wanted; :param purpose: what it is for. Returns the demand (state submitted)."""
    tk.check_access("govshare_demand_create", context, data_dict)
    data = validated(data_dict, schema.demand_create(), context)
    demand = demands.create(me(context), data)
    commit(context)
    return demands.as_dict(demand, me(context))


def govshare_demand_route(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority sends a demand to :param department: (name or id); the department
    answers within ``govshare.demand.reply_working_days`` working days (the deadline)."""
    tk.check_access("govshare_demand_route", context, data_dict)
    data = validated(data_dict, schema.demand_route(), context)
    demand = demands.route(me(context), demands.locked(data["id"]), data["department"])
    commit(context)
    return demands.as_dict(demand, me(context))


def govshare_demand_reply(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The department answers: :param outcome: will_open (:param package_id: the entry) or
    not_available; :param answer: the answer (for not_available, the reason)."""
    tk.check_access("govshare_demand_reply", context, data_dict)
    data = validated(data_dict, schema.demand_reply(), context)
    demand = demands.reply(me(context), demands.locked(data["id"]), data["outcome"],
                           data["answer"], data.get("package_id"))
    commit(context)
    return demands.as_dict(demand, me(context))


@tk.side_effect_free
def govshare_demand_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    tk.check_access("govshare_demand_show", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    demand = model.Session.get(Demand, data["id"])
    if demand is None:  # sysadmins skip the auth function, which says so for the others
        raise tk.ObjectNotFound(tk._("Data demand not found"))
    return demands.as_dict(demand, access.context_user(context))


@tk.side_effect_free
def govshare_demand_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The demands, public to all: overdue first, then those with a department by deadline,
    then the newest.

    :param state; :param department: the department routed to; :param mine (bool): the
    caller's own; :param limit (default 50), offset
    """
    tk.check_access("govshare_demand_list", context, data_dict)
    data = validated(data_dict, schema.demand_list(), context)
    caller = access.context_user(context)
    query = model.Session.query(Demand)
    if data.get("state"):
        query = query.filter(Demand.state == data["state"])
    if data.get("department"):
        department = model.Group.get(data["department"])
        query = query.filter(Demand.department_id == (department.id if department else None))
    if data.get("mine"):
        query = query.filter(Demand.requester_id == (caller.id if caller else None))
    total = query.count()
    waiting = Demand.state == ROUTED
    rows = (query.order_by(case((waiting, 0), else_=1), case((waiting, Demand.deadline)),
                           Demand.created.desc(), Demand.id)
            .offset(data.get("offset", 0)).limit(data.get("limit", 50)).all())
    names = demands.names(rows)
    return {"count": total, "results": [demands.as_dict(d, caller, names) for d in rows]}


# ------------------------------------------------------------------ showcases

def govshare_showcase_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Submit a showcase for moderation.

    :param title; :param description; :param url: where it is (http or https);
    :param entries: the entries it uses (ids or names, each one the caller can see)."""
    tk.check_access("govshare_showcase_create", context, data_dict)
    data = validated(data_dict, schema.showcase_create(), context)
    showcase = showcases.create(me(context), data)
    commit(context)
    return showcases.as_dict(showcase, me(context))


def _moderate(context: Context, data_dict: DataDict, state: str) -> dict[str, Any]:
    action = "govshare_showcase_approve" if state == APPROVED else "govshare_showcase_reject"
    tk.check_access(action, context, data_dict)
    declared = schema.showcase_approve() if state == APPROVED else schema.showcase_reject()
    data = validated(data_dict, declared, context)
    showcase = showcases.moderate(me(context), showcases.locked(data["id"]), state,
                                  data.get("reason"))
    commit(context)
    return showcases.as_dict(showcase, me(context))


def govshare_showcase_approve(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Publish a showcase; :param reason: optional note to the submitter."""
    return _moderate(context, data_dict, APPROVED)


def govshare_showcase_reject(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Refuse (or take down) a showcase; :param reason: required, told to the submitter."""
    return _moderate(context, data_dict, REJECTED)


@tk.side_effect_free
def govshare_showcase_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A showcase with the entries it uses that the caller may see."""
    tk.check_access("govshare_showcase_show", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    showcase = model.Session.get(Showcase, data["id"])
    if showcase is None:
        raise tk.ObjectNotFound(tk._("Showcase not found"))
    return showcases.as_dict(showcase, access.context_user(context))


@tk.side_effect_free
def govshare_showcase_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The showcases the caller may see (approved ones; their own; all for the authority),
    newest first.

    :param state; :param package_id: those using this entry (one the caller may see);
    :param mine (bool): the caller's own; :param limit (default 50), offset
    """
    tk.check_access("govshare_showcase_list", context, data_dict)
    data = validated(data_dict, schema.showcase_list(), context)
    caller = access.context_user(context)
    query = model.Session.query(Showcase).filter(showcases.visible_clause(caller))
    if data.get("state"):
        query = query.filter(Showcase.state == data["state"])
    if data.get("package_id"):
        package = model.Package.get(data["package_id"])
        if package is not None and not access.can_see_entry(caller, package):
            package = None  # a hidden entry is used by no showcase the caller hears of
        query = query.filter(Showcase.id.in_(
            model.Session.query(ShowcaseEntry.showcase_id).filter(
                ShowcaseEntry.package_id == (package.id if package else None))))
    if data.get("mine"):
        query = query.filter(Showcase.submitter_id == (caller.id if caller else None))
    total = query.count()
    rows = (query.order_by(Showcase.created.desc(), Showcase.id)
            .offset(data.get("offset", 0)).limit(data.get("limit", 50)).all())
    entries = showcases.entries_shown([s.id for s in rows], caller)
    names = showcases.submitter_names(rows)
    return {"count": total, "results": [showcases.as_dict(s, caller, entries[s.id], names)
                                        for s in rows]}

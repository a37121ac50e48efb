"""The evaluation scorecard (第二十八条, scorecard.py): the authority's live scorecard, its
notes and findings of misuse, and the published scorecards the departments see."""
from __future__ import annotations

from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.govshare import access, scorecard
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, dates, me, period, validated

__all__ = ["govshare_scorecard", "govshare_scorecard_publish", "govshare_scorecard_annotate",
           "govshare_misuse_record"]

PERIOD_FIELDS = ("year", "date_from", "date_to")


def _asked_period(data: dict[str, Any]) -> bool:
    return any(data.get(k) for k in PERIOD_FIELDS)


def _department(user: Optional[model.User], data: dict[str, Any]) -> model.Group:
    """The department a department admin asks about: the one named, else its only one."""
    own = access.department_ids(user, ("admin",))
    if data.get("owner_org"):
        return model.Group.get(data["owner_org"])
    if len(own) != 1:
        raise tk.ValidationError({"owner_org": [tk._("Name the department")]})
    return model.Group.get(next(iter(own)))


@tk.side_effect_free
def govshare_scorecard(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The scorecard of a period.

    :param year: or :param date_from: / :param date_to: (default: this year to date; a
        department: the latest published)
    :param owner_org: one department's row in full (evidence, note, trend)

    The authority gets it live: ``departments`` ranked with their failings, ``department``
    (with ``owner_org``), ``published`` (this period's publication, or null) and
    ``publications``. A department's administrators get the published scorecard only: the
    ranking (title, score, rank) and their own row in full; nothing is published: not found.
    """
    tk.check_access("govshare_scorecard", context, data_dict)
    data = validated(data_dict, schema.scorecard(), context)
    span = period(data)
    user = access.context_user(context)
    listed = scorecard.publications()
    if access.is_authority(user):
        card = scorecard.compute(span)
        org = model.Group.get(data["owner_org"]) if data.get("owner_org") else None
        said = scorecard.notes(span)
        for row in card["departments"]:
            row["note"] = said.get(row["id"])
        card["department"] = next((d for d in card["departments"] if org and d["id"] == org.id),
                                  None)
        if org is not None and card["department"] is None:
            raise tk.ValidationError({"owner_org": [tk._("Not a department that is evaluated")]})
        if card["department"] is not None:
            scorecard.add_detail(span, [card["department"]])
        else:
            card["trend"] = scorecard.trend(span, [d["id"] for d in card["departments"]])
        found = scorecard.publication(span)
        card.update(live=True, weights=scorecard.weights(),
                    published=found.as_dict() if found else None)
    else:
        org = _department(user, data)
        found = scorecard.publication(span if _asked_period(data) else None)
        if found is None:
            raise tk.ObjectNotFound(tk._("No scorecard has been published for this period"))
        card = scorecard.published_for(found.content, org.id)
        card.update(live=False, published=found.as_dict())
    card.update(failings=scorecard.failings(), publications=listed)
    return card


def govshare_scorecard_publish(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Publish the period's scorecard to the departments (again: replace it with today's
    numbers). :param year: or :param date_from: / :param date_to:"""
    tk.check_access("govshare_scorecard_publish", context, data_dict)
    span = period(validated(data_dict, schema.scorecard_publish(), context))
    found = scorecard.publish(me(context), span)
    commit(context)
    return found.as_dict()


def govshare_scorecard_annotate(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority's note on a department's scorecard of a period (empty: removed).
    :param owner_org: :param note: :param year: or :param date_from: / :param date_to:"""
    tk.check_access("govshare_scorecard_annotate", context, data_dict)
    data = validated(data_dict, schema.scorecard_annotate(), context)
    span = period(data)
    org = model.Group.get(data["owner_org"])
    if not org.is_organization or org.name == access.authority_org_name():
        raise tk.ValidationError({"owner_org": [tk._("Not a department that is evaluated")]})
    scorecard.annotate(me(context), span, org, data.get("note") or "")
    commit(context)
    return {**span.as_dict(), "owner_org": org.id, "note": data.get("note") or None}


def govshare_misuse_record(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The authority records a finding that a department used data beyond the purpose it
    was granted. :param grant_id: or :param request_id: :param description:
    :param found_on: the day (default today)"""
    tk.check_access("govshare_misuse_record", context, data_dict)
    data = validated(data_dict, schema.misuse_record(), context)
    finding = scorecard.record_misuse(me(context), dates(data, "found_on"))
    commit(context)
    return finding.as_dict()

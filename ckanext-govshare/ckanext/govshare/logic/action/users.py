"""Self-registration of citizens and companies, and each user's notifications."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import logic, model
from ckan.types import Action, Context, DataDict

from ckanext.govshare import registration
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated
from ckanext.govshare.model import Notification


__all__ = ['user_create', 'govshare_registration_confirm', 'govshare_notification_list']


@tk.chained_action
def user_create(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """From the register page: the applicant's type (and a company's name and 统一社会信用代码)
    are validated with CKAN's fields, the account waits, pending, for its email to be
    confirmed, and the confirmation email is in the outbox when the user is saved. Users
    created any other way are untouched."""
    if not context.get(registration.SELF_REGISTRATION):
        return up(context, data_dict)
    extras, errors = registration.validate(data_dict)
    inner = dict(context, defer_commit=True)
    try:
        # the form keeps data_dict to show again on errors, with the applicant's fields
        result = up(inner, {k: v for k, v in data_dict.items() if k not in registration.FIELDS})
    except tk.ValidationError as error:
        if not errors:
            raise
        raise tk.ValidationError({**error.error_dict, **errors}, error_summary={
            **error.error_summary, **registration.error_summary(errors)})
    if errors:
        model.Session.rollback()
        raise tk.ValidationError(errors, error_summary=registration.error_summary(errors))
    user = inner["user_obj"]
    registration.complete(user, extras)
    with logic.guard_against_duplicated_email(user.email):
        commit(context)
    context["user_obj"] = user
    context[registration.REGISTERED] = user.email
    result["state"] = model.State.PENDING
    return result


def govshare_registration_confirm(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Open the registration email's link: the pending account becomes active.

    :param token: the signed token of the link
    """
    tk.check_access("govshare_registration_confirm", context, data_dict)
    data = validated(data_dict, schema.registration_confirm(), context)
    problem = registration.confirm(data["token"])
    if problem:
        raise tk.ValidationError({"token": [problem]})
    commit(context)
    return {"confirmed": True}


def govshare_notification_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The caller's latest notifications, newest first; those returned are marked seen
    (``new`` tells which were not), which is why this action is not side-effect free.

    :param limit: how many (default 100)
    """
    tk.check_access("govshare_notification_list", context, data_dict)
    data = validated(data_dict, schema.notification_list(), context)
    user = me(context)
    notes = (model.Session.query(Notification).filter(Notification.user_id == user.id)
             .order_by(Notification.created.desc(), Notification.id.desc())
             .limit(data.get("limit", 100)).all())
    shown = [{"subject": n.subject, "body": n.body, "link": n.link,
              "created": n.created.isoformat(), "new": not n.seen} for n in notes]
    unseen = [n.id for n in notes if not n.seen]
    if unseen:
        model.Session.query(Notification).filter(Notification.id.in_(unseen)).update(
            {Notification.seen: True}, synchronize_session=False)
    commit(context)
    return shown

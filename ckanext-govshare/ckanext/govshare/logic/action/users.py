"""Self-registration of citizens and companies."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Action, Context, DataDict

from ckanext.govshare import registration


__all__ = ['user_create']


@tk.chained_action
def user_create(up: Action, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """On the register page: the applicant's type (and a company's name and 统一社会信用代码)
    are validated with CKAN's fields, and the account waits, pending, for its email to be
    confirmed. Users created any other way are untouched."""
    if not registration.is_self_registration():
        return up(context, data_dict)
    extras, errors = registration.validate(data_dict)
    context["defer_commit"] = True
    try:
        # the form keeps data_dict to show again on errors, with the applicant's fields
        result = up(context, {k: v for k, v in data_dict.items()
                              if k not in registration.FIELDS})
    except tk.ValidationError as error:
        if not errors:
            raise
        raise tk.ValidationError({**error.error_dict, **errors}, error_summary={
            **error.error_summary, **registration.error_summary(errors)})
    if errors:
        model.Session.rollback()
        raise tk.ValidationError(errors, error_summary=registration.error_summary(errors))
    registration.complete(context["user_obj"], extras)
    result["state"] = model.State.PENDING
    return result

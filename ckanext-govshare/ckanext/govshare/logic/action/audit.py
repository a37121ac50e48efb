"""The security audit log, for the data authority."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.govshare import audit
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import validated

__all__ = ["govshare_audit_list"]

DEFAULT_LIMIT = 50


@tk.side_effect_free
def govshare_audit_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Security events, newest first.

    :param actor: optional, a user's name or id
    :param event: optional, an event name such as ``login.failed``
    :param since: optional, an ISO date or date and time (UTC)
    :param limit: how many (default 50, at most 1000); :param offset: how many to skip
    :returns: ``{"count": all matching, "results": [records]}``
    """
    tk.check_access("govshare_audit_list", context, data_dict)
    data = validated(data_dict, schema.audit_list(), context)
    query = audit.search(data.get("actor"), data.get("event"), data.get("since"))
    records = query.limit(data.get("limit", DEFAULT_LIMIT)).offset(data.get("offset", 0)).all()
    return {"count": query.order_by(None).count(), "results": [r.as_dict() for r in records]}

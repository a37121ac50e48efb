"""The usage record: every access to data that a grant allowed (who, department,
entry, resource, grant, route, when).

Written on its own connection so that recording a read never commits, or is
rolled back with, the work of the request that reads.
"""
from __future__ import annotations

import datetime
from typing import Any, Optional

import flask
from ckan import model

from ckanext.govshare import access
from ckanext.govshare.model import Grant, Usage


# Set on a web request whose data route (a download, a view) was recorded already,
# so that the reads that route makes through the action API do not count again.
RECORDED = "govshare.usage_recorded"


def record(policy: access.DataPolicy, package: model.Package | dict[str, Any],
           resource_ids: list[Optional[str]], route: str, page: bool = False) -> None:
    """``route`` names the way the data left (an action, or a page such as
    ``download``); a page's record stands for the action reads it makes."""
    if flask.has_request_context() and flask.request.environ.get(RECORDED):
        return
    entry = access.Entry.of(package)
    used = {resource_id: policy.basis(entry, resource_id) for resource_id in resource_ids}
    used = {r: g for r, g in used.items() if g not in (None, access.RULE)}
    if not used:
        return
    grantee_orgs = dict(model.Session.query(Grant.id, Grant.grantee_org_id)
                        .filter(Grant.id.in_(set(used.values()))))
    now = datetime.datetime.utcnow()
    rows = [{"user_id": policy.user.id if policy.user else None,
             "org_id": grantee_orgs.get(grant_id), "package_id": entry.id,
             "provider_org_id": entry.owner_org, "resource_id": resource_id,
             "grant_id": grant_id, "route": route, "at": now}
            for resource_id, grant_id in used.items()]
    with model.meta.engine.begin() as connection:
        connection.execute(Usage.__table__.insert(), rows)
    if page and flask.has_request_context():
        flask.request.environ[RECORDED] = True

"""Grants: the use of an entry's data given to a department (sharing site) or a user
(authorized open data). Made here only, whether by an approved request or given directly,
so that every grant passes the same checks; nothing here commits."""
from __future__ import annotations

import datetime
from typing import Optional

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.govshare import access, codes
from ckanext.govshare.model import Grant
from ckanext.govshare.workflow import audit, error


def resource_ids(package: model.Package, wanted: Optional[list[str]]) -> Optional[list[str]]:
    """The entry's resources a grant (or a request for one) covers: None means all of them;
    ids that are not the entry's resources are an error naming them."""
    if not wanted:
        return None
    unknown = set(wanted) - {r.id for r in package.resources}
    if unknown:
        raise error("resource_ids", tk._("Not resources of this entry: {ids}").format(
            ids=", ".join(sorted(unknown))))
    return sorted(set(wanted))


def _check_grantable(package: model.Package, grantee_org_id: Optional[str]) -> None:
    entry = access.Entry.of(package)
    if grantee_org_id and entry.share_type != codes.CONDITIONAL:
        raise error("package_id", tk._(
            "Departments are granted only conditional entries; this entry's share type is {value}"
        ).format(value=entry.share_type))
    if not grantee_org_id and entry.open_type != codes.AUTHORIZED:
        raise error("package_id", tk._(
            "Users are granted only authorized-open entries; this entry's open type is {value}"
        ).format(value=entry.open_type))
    if grantee_org_id and grantee_org_id == package.owner_org:
        raise error("grantee_org", tk._("The provider department has the data already"))


def create(user: model.User, package: model.Package, *, grantee_org_id: Optional[str],
           grantee_user_id: Optional[str], resources: Optional[list[str]],
           valid_from: datetime.date, valid_until: datetime.date, reason: str,
           request_id: Optional[str] = None) -> Grant:
    """A grant to exactly one of a department or a user, audited."""
    _check_grantable(package, grantee_org_id)
    covered = resource_ids(package, resources)
    if valid_from > valid_until:
        raise error("valid_until", tk._("Must not be before valid_from"))
    grant = Grant(package_id=package.id, grantee_org_id=grantee_org_id,
                  grantee_user_id=grantee_user_id, resource_ids=covered, valid_from=valid_from,
                  valid_until=valid_until, reason=reason, granted_by=user.id)
    model.Session.add(grant)
    model.Session.flush()
    detail = {"request_id": request_id} if request_id else {"reason": reason}
    audit("grant", grant.id, "create", user, None, "active", **detail)
    return grant


def revoke(user: model.User, grant_id: str, reason: str) -> Grant:
    """End a grant now (the row is locked: two revocations cannot both pass)."""
    grant = (model.Session.query(Grant).filter(Grant.id == grant_id)
             .populate_existing().with_for_update().one_or_none())
    if grant is None:
        raise tk.ObjectNotFound(tk._("Grant not found"))
    if grant.revoked is not None:
        raise error("id", tk._("This grant was already revoked"))
    grant.revoked = datetime.datetime.utcnow()
    grant.revoked_by = user.id
    grant.revoke_reason = reason
    audit("grant", grant.id, "revoke", user, "active", "revoked", reason=reason)
    return grant

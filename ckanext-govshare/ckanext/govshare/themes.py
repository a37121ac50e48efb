"""Keep an entry's CKAN group memberships equal to its ``themes`` field.

Themes are CKAN groups (one per theme code) so that each theme has a page;
the field is what API clients read and write.
"""
from __future__ import annotations

from typing import Any

from ckan import model

from ckanext.govshare.schema import extra_list


def sync_groups(context: Any, pkg_dict: dict[str, Any]) -> None:
    package = model.Package.get(pkg_dict["id"])
    if package is None:
        return
    wanted = set(extra_list(package, "themes"))
    groups = {g.name: g for g in model.Session.query(model.Group)
              .filter(model.Group.name.in_(wanted), model.Group.is_organization.is_(False))}
    current = {m.group.name: m for m in model.Session.query(model.Member)
               .filter_by(table_name="package", table_id=package.id, state="active")
               .join(model.Group).filter(model.Group.is_organization.is_(False))}
    for name, member in current.items():
        if name not in wanted:
            member.state = "deleted"
    for name, group in groups.items():
        if name not in current:
            model.Session.add(model.Member(group=group, table_id=package.id,
                                           table_name="package", capacity="public"))
    # The dataset dict that gets indexed is read with Core selects, which do not autoflush.
    model.Session.flush()

"""What the catalog schema's validators ask the database for every entry, asked once for a
whole catalog import (catalog_import) or index batch (indexing).

Validating an entry asks for the user (twice), the department, and whether its URL name and
its resource code are taken: five queries an entry, most of an import's checking time at
10^4–10^5 entries. A validation context that carries ``Lookups`` under ``KEY`` has the
validators of logic/validators.py (CKAN's ``owner_org_validator``,
``package_name_validator`` and ``ignore_not_sysadmin``, and ``govshare_resource_code``)
answer from it, with the answers the database would give; whatever it was not asked (a name
the validation made that nobody foresaw, an entry being updated) they ask the database as
before.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Optional

from ckan import model

KEY = "govshare_lookups"
CHUNK = 5000  # values per IN (...) query


@dataclasses.dataclass
class Lookups:
    """``sysadmin``: whether the context's user is one (None: not asked). ``names``: URL
    name → id of the entry, not deleted, that has it (None: free). ``codes``: resource
    code → (id, name) of every entry with it, deleted ones included (they keep their code
    until purged). ``owners``: a new entry's ``owner_org`` as given → the department id
    CKAN's owner_org_validator made of it for this user (filled as the validation goes)."""
    sysadmin: Optional[bool]
    names: dict[str, Optional[str]]
    codes: dict[str, list[tuple[str, str]]]
    owners: dict[str, str] = dataclasses.field(default_factory=dict)


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted({v for v in values if isinstance(v, str) and v})
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def taken_names(names: Iterable[str]) -> dict[str, Optional[str]]:
    """The entry (not deleted) holding each of ``names``, or None."""
    found: dict[str, Optional[str]] = {}
    for chunk in _chunks(names):
        found.update(dict.fromkeys(chunk))
        found.update(model.Session.query(model.Package.name, model.Package.id)
                     .filter(model.Package.name.in_(chunk),
                             model.Package.state != model.State.DELETED))
    return found


def taken_codes(codes: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Every entry, whatever its state, holding each of ``codes``."""
    column = model.Package.extras["resource_code"].astext
    found: dict[str, list[tuple[str, str]]] = {}
    for chunk in _chunks(codes):
        found.update({code: [] for code in chunk})
        for code, package_id, name in (model.Session.query(column, model.Package.id,
                                                           model.Package.name)
                                       .filter(column.in_(chunk))):
            found[code].append((package_id, name))
    return found


def for_import(user: model.User, names: Iterable[str], codes: Iterable[str]) -> Lookups:
    """What validating a file's entries as ``user`` asks: three queries for the file."""
    return Lookups(sysadmin=bool(user.sysadmin), names=taken_names(names),
                   codes=taken_codes(codes))


def for_show(packages: Iterable[model.Package]) -> Lookups:
    """What the show schema asks of stored entries: whether another entry has an entry's
    name, which the unique constraint on package.name answers (it is the entry's own)."""
    return Lookups(sysadmin=None, names={p.name: p.id for p in packages}, codes={})

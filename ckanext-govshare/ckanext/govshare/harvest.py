"""Harvesting between platforms with ckanext-dcat's ``dcat_rdf_harvester`` (issue 12).

What govshare adds to that harvester, through its ``IDCATRDFHarvester`` hooks:

* a source whose config has ``"api_token"`` fetches the catalog pages with it, so a
  provincial platform harvests the city's sharing catalog as the account the city gave it;
* an entry whose catalog fields and resources are what the platform already has is left
  alone, so a second harvest changes nothing (no new version, no activity);
* entries harvested from a source whose config has ``"returned": true`` are data returned
  by an upper platform (回流): their origin (platform, department) is kept in
  ``EntryOrigin`` and shown on the entry, and the catalog never exports them upward as the
  city's own (``catalog_pages``). The origin row is written by the entry's own
  ``package_create`` / ``package_update`` (``after_dataset_create`` / ``_update``, before its
  commit), so an entry and its origin are saved together or not at all: a returned entry
  without its origin would be exported upward as the city's own.
* a returned source takes only the entries the upper platform marked as returned to this
  platform: ``returned_to`` (回流对象, ``gs:returnedTo``) lists the 统一社会信用代码 of the
  departments or platforms an entry is returned to; the source's is its config's
  ``"returned_to"``, else its department's. An entry whose mark is taken away is withdrawn here
  like one the upper platform deleted.
"""
from __future__ import annotations

import contextvars
import json
from typing import Any, Optional

import ckan.plugins.toolkit as tk
from ckan import model
from rdflib.namespace import DCAT, RDF

from ckanext.govshare import schema as catalog
from ckanext.govshare import vocab
from ckanext.govshare.model.harvest import EntryOrigin

# The parse side (profiles/govshare.py) gives the publisher as these extras (ckanext-dcat's
# names); they are no catalog field and are not stored.
PUBLISHER_NAME, PUBLISHER_CODE = "publisher_name", "publisher_identifier"
# A platform's own routing, never taken from the platform harvested: whom it returns an
# entry to (an upper platform's marks for its lower levels are no field of the copy).
OWN_FIELDS = ("returned_to",)
_token: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("govshare_harvest_token",
                                                                      default=None)
# The origin of the returned entry being imported, until its package_create/_update writes it.
_origin: contextvars.ContextVar[Optional[dict[str, Any]]] = contextvars.ContextVar(
    "govshare_harvest_origin", default=None)


def source_config(harvest_source: Any) -> dict[str, Any]:
    try:
        config = json.loads(harvest_source.config or "{}")
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


# ------------------------------------------------------------------ fetching

def before_download(url: str, harvest_job: Any) -> tuple[str, list[str]]:
    """Remember the source's token for the page about to be fetched."""
    _token.set(source_config(harvest_job.source).get("api_token"))
    return url, []


def update_session(session: Any) -> Any:
    token = _token.get()
    if token:
        session.headers["Authorization"] = token
    return session


def recipient(harvest_source: Any) -> Optional[str]:
    """The 统一社会信用代码 by which the upper platform marks what it returns to this one."""
    code = source_config(harvest_source).get("returned_to")
    if code:
        return str(code).strip()
    package = model.Package.get(harvest_source.id)
    owner = model.Group.get(package.owner_org) if package and package.owner_org else None
    return (owner.extras or {}).get("department_code") if owner else None


def after_parsing(parser: Any, harvest_job: Any) -> tuple[Any, list[str]]:
    """A returned source's catalog page without the entries not marked for this platform."""
    source = harvest_job.source
    if not source_config(source).get("returned"):
        return parser, []
    code = recipient(source)
    if not code:
        return None, [tk._("A returned source needs the unified social credit code the upper "
                           "platform marks its returned entries with: \"returned_to\" in its "
                           "configuration, or a department with a code")]
    marker = vocab.term("returned_to")
    for dataset in list(parser.g.subjects(RDF.type, DCAT.Dataset)):
        if code not in {str(o).strip() for o in parser.g.objects(dataset, marker)}:
            parser.g.remove((dataset, RDF.type, DCAT.Dataset))
    return parser, []


# ------------------------------------------------------------------ importing

def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _comparable(value: Any) -> Any:
    """A field's value as two platforms may write it (blanks alike, scalars as text)."""
    if _blank(value):
        return None
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if not _blank(v)}
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _tags(entry: dict[str, Any]) -> list[str]:
    if entry.get("tags") is not None:
        return sorted(t["name"] for t in entry["tags"])
    return sorted(t for t in (entry.get("tag_string") or "").split(",") if t)


def _catalog_values(entry: dict[str, Any]) -> dict[str, Any]:
    values = {f["field_name"]: _comparable(entry.get(f["field_name"]))
              for f in catalog.dataset_fields()
              if f["field_name"] != "tag_string" and f["field_name"] not in OWN_FIELDS}
    values["tag_string"] = _tags(entry)
    owner = model.Group.get(entry.get("owner_org") or "")  # by name or id
    values["owner_org"] = owner.id if owner else None
    resource_fields = [f["field_name"] for f in catalog.resource_fields()] + ["uri"]
    values["resources"] = [{f: _comparable(r.get(f)) for f in resource_fields}
                           for r in entry.get("resources") or []]
    return values


def unchanged(existing_id: str, incoming: dict[str, Any]) -> bool:
    """Whether the harvested dict would leave the entry as it is."""
    existing = tk.get_action("package_show")({"ignore_auth": True}, {"id": existing_id})
    return _catalog_values(existing) == _catalog_values(incoming)


def _take_origin(harvest_object: Any, dataset_dict: dict[str, Any]) -> None:
    """Take the publisher extras and this platform's own fields out of the dict; for a
    returned source, hold the entry's origin for its write (``write_origin``)."""
    extras = dataset_dict.get("extras") or []
    found = {e["key"]: e["value"] for e in extras if e["key"] in (PUBLISHER_NAME, PUBLISHER_CODE)}
    dataset_dict["extras"] = [e for e in extras if e["key"] not in found]
    for name in OWN_FIELDS:  # left out: an update keeps this platform's own
        dataset_dict.pop(name, None)
    source = harvest_object.source
    if not source_config(source).get("returned"):
        _origin.set(None)
        return
    _origin.set({"package_id": dataset_dict.get("id"), "harvest_source_id": source.id,
                 "platform": source.title or source.url, "platform_url": source.url,
                 "department": found.get(PUBLISHER_NAME) or "",
                 "department_code": found.get(PUBLISHER_CODE) or "",
                 "remote_uri": harvest_object.guid})


def write_origin(package_id: str) -> None:
    """Add the held origin of the entry just written to the session of its write (the
    action's commit saves both); nothing for any other write."""
    origin = _origin.get()
    if not origin or origin["package_id"] != package_id:
        return
    _origin.set(None)
    row = model.Session.get(EntryOrigin, package_id) or EntryOrigin(package_id=package_id)
    for key, value in origin.items():
        setattr(row, key, value)
    model.Session.add(row)


def is_own(uri: str) -> bool:
    """An entry of this platform, come back through another platform's catalog."""
    return uri.startswith(vocab.base_uri() + "/")


def before_create(harvest_object: Any, dataset_dict: dict[str, Any],
                  temp_dict: dict[str, Any]) -> None:
    """A platform never imports its own entries back (ckanext-dcat skips an emptied dict)."""
    _take_origin(harvest_object, dataset_dict)
    if is_own(harvest_object.guid or ""):
        dataset_dict.clear()


def before_update(harvest_object: Any, dataset_dict: dict[str, Any],
                  temp_dict: dict[str, Any]) -> None:
    """An unchanged entry is not written (ckanext-dcat skips an emptied dict)."""
    _take_origin(harvest_object, dataset_dict)
    if unchanged(dataset_dict["id"], dataset_dict):
        harvest_object.package_id = dataset_dict["id"]  # still the entry's current object
        dataset_dict.clear()


# ------------------------------------------------------------------ the consumers

def consume(queue: str) -> None:
    """ckanext-harvest's gather or fetch consumer, on a Redis connection without a read
    timeout: its consumer waits for the next job with a BLPOP without timeout, which
    redis-py 8 (CKAN 2.12's pin) aborts after its default 5 s socket timeout, so that
    ``ckan harvester gather-consumer`` exits whenever its queue stays empty for 5 s."""
    import redis
    from ckanext.harvest import queue as harvest_queue

    if queue == "gather":
        consumer = harvest_queue.get_gather_consumer()
        name, callback = harvest_queue.get_gather_queue_name(), harvest_queue.gather_callback
    else:
        consumer = harvest_queue.get_fetch_consumer()
        name, callback = harvest_queue.get_fetch_queue_name(), harvest_queue.fetch_callback
    if isinstance(consumer, harvest_queue.RedisConsumer):
        options = dict(consumer.redis.connection_pool.connection_kwargs)
        options.update(socket_timeout=None, orig_socket_timeout=None, socket_keepalive=True)
        consumer.redis = redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=consumer.redis.connection_pool.connection_class, **options))
    for method, header, body in consumer.consume(queue=name):
        callback(consumer, method, header, body)


def returned_sources() -> list[str]:
    """The ids of the harvest sources that bring entries returned by upper platforms
    (deactivated ones too: their entries stay until the source is cleared)."""
    from ckanext.harvest.model import HarvestSource

    return [s.id for s in model.Session.query(HarvestSource)
            if source_config(s).get("returned")]


def origin_of(package_id: str) -> Optional[EntryOrigin]:
    """The origin of an entry returned by an upper platform, None for the city's own."""
    return model.Session.get(EntryOrigin, package_id)

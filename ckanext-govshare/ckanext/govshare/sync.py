"""Sharing → open, one way (requirements §2): publish this sharing site's open
entries to the open site through the open site's action API.

What goes: registered entries (备案) whose open_type is general or authorized, with the fields of
the catalog schema (information items marked not open stay behind), their
department, their theme groups and their resources. Uploaded files are copied
into the open site's FileStore, because the open site must not link back into
the government extranet; links are kept unless they point at this site. The
open site applies its own rules: authorized data only to users holding a grant.

How a run stays safe to repeat and to interrupt:

* every published entry carries two extras on the open site: ``govshare_source``
  (this site's ``ckan.site_id``, so that a run withdraws only what it published)
  and ``govshare_sync_hash`` (a fingerprint of what was published). An entry
  whose fingerprint has not changed is not written at all;
* withdrawals come first: an entry that stopped being open leaves the open site
  even if publishing fails later in the run;
* a new entry is created as a draft, its files are uploaded, and only then is
  it made active together with its fingerprint, in one package_update. For a
  changed entry the files go first too, so metadata never points at a file
  that is not there. The fingerprint is written last, so an interrupted entry
  is redone by the next run, which does not send again the files already
  there (same sha256 in the resource's ``hash``).
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

import ckan.plugins.toolkit as tk
import ckanapi
from ckan.lib import uploader

from ckanext.govshare import access
from ckanext.govshare import schema as catalog

log = logging.getLogger(__name__)

SOURCE_KEY = "govshare_source"
HASH_KEY = "govshare_sync_hash"
PAGE = 500


class SyncError(Exception):
    """Something on this side that stops an entry (or the run) from being published."""


# An error about one entry: reported, and the run goes on. Anything else (the
# open site unreachable) ends the run; the next run picks up where it stopped.
ENTRY_ERRORS = (SyncError, ckanapi.CKANAPIError, tk.ValidationError, tk.ObjectNotFound,
                tk.NotAuthorized)


@dataclass
class Result:
    published: list[str] = field(default_factory=list)
    unchanged: int = 0
    withdrawn: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    writes: int = 0

    def report(self) -> list[str]:
        lines = [tk._("published {published}, unchanged {unchanged}, withdrawn {withdrawn}, "
                      "failed {failed}").format(
            published=len(self.published), unchanged=self.unchanged,
            withdrawn=len(self.withdrawn), failed=len(self.failed))]
        lines += [f"{name}: {error}" for name, error in sorted(self.failed.items())]
        return lines


class OpenSite:
    """The open site's action API, counting the calls that change it."""

    def __init__(self, url: str, api_token: str):
        self.api = ckanapi.RemoteCKAN(url, apikey=api_token,
                                      user_agent="ckanext-govshare sync-open")
        self.writes = 0

    @classmethod
    def from_config(cls) -> "OpenSite":
        url = tk.config.get("govshare.open_site.url")
        token = tk.config.get("govshare.open_site.api_token")
        if not url or not token:
            raise SyncError(tk._("Set govshare.open_site.url and govshare.open_site.api_token "
                                 "to publish to the open site"))
        return cls(url, token)

    def read(self, action: str, **data: Any) -> Any:
        return self.api.call_action(action, data)

    def write(self, action: str, files: Optional[dict[str, Any]] = None, **data: Any) -> Any:
        self.writes += 1
        return self.api.call_action(action, data, files=files)

    def show(self, action: str, **data: Any) -> Optional[dict[str, Any]]:
        try:
            return self.read(action, **data)
        except tk.ObjectNotFound:
            return None


@dataclass(frozen=True)
class Upload:
    """A file of this site that a published resource needs."""

    resource_id: str
    path: str
    stamp: str  # changes whenever the provider replaces the file


# ------------------------------------------------------------ this site

def _context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"ignore_auth": True, "user": site_user["name"]}


def open_entries() -> Iterator[dict[str, Any]]:
    """Every registered entry of this site that the catalog marks open, as full package
    dicts (a pending change of a registered entry is not in them: the registered version
    stands until the authority confirms it)."""
    query = {"q": "*:*", "include_private": True,
             "fq": "open_type:(general OR authorized) AND catalog_state:registered",
             "sort": "id asc", "rows": PAGE}
    start = 0
    while True:
        page = tk.get_action("package_search")(_context(), dict(query, start=start))
        yield from page["results"]
        start += PAGE
        if start >= page["count"]:
            return


def _points_here(url: str) -> bool:
    return url.startswith(tk.config.get("ckan.site_url").rstrip("/") + "/")


def _external(url: Optional[str]) -> str:
    """A URL the public can follow, or "" for uploads and links into this site."""
    url = url or ""
    return url if url.startswith(("http://", "https://")) and not _points_here(url) else ""


def _resource(resource: dict[str, Any]) -> tuple[Optional[dict[str, Any]], Optional[Upload]]:
    """A resource as published (None when it only exists inside this site) and its file."""
    published = {"id": resource["id"], "url_type": ""}
    published.update({f["field_name"]: resource[f["field_name"]]
                      for f in catalog.resource_fields() if f["field_name"] in resource})
    if resource.get("url_type") == "upload":
        published.update(url=resource["url"].rsplit("/", 1)[-1], url_type="upload")
        path = uploader.get_resource_uploader(resource).get_path(resource["id"])
        stamp = f"{resource.get('last_modified')}/{resource.get('size')}"
        return published, Upload(resource["id"], path, stamp)
    if resource.get("url_type") or _points_here(resource.get("url") or ""):
        return None, None
    return published, None


def published_version(package: dict[str, Any]) -> tuple[dict[str, Any], list[Upload]]:
    """The entry as the open site gets it, and the files to copy with it."""
    data: dict[str, Any] = {"id": package["id"]}
    for schema_field in catalog.dataset_fields():
        name = schema_field["field_name"]
        if schema_field.get("preset", "").startswith("tag_string"):
            data["tags"] = [{"name": tag["name"]} for tag in package.get("tags") or []]
        elif name in package:
            data[name] = package[name]
    if "info_items" in data:
        data["info_items"] = [item for item in data["info_items"] or []
                              if item.get("open") is not False]
    data["resources"], uploads = [], []
    for resource in package.get("resources") or []:
        published, upload = _resource(resource)
        if published:
            data["resources"].append(published)
        if upload:
            uploads.append(upload)
    return data, uploads


def fingerprint(data: dict[str, Any], uploads: list[Upload]) -> str:
    content = json.dumps({"entry": data, "files": [[u.resource_id, u.stamp] for u in uploads]},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _sha256(upload: Upload) -> str:
    digest = hashlib.sha256()
    try:
        with open(upload.path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise SyncError(f"the file of resource {upload.resource_id} cannot be read: {error}")
    return digest.hexdigest()


# ------------------------------------------------------------ open site

def published_index(site: OpenSite, source: str) -> dict[str, dict[str, Any]]:
    """What this site has on the open site, drafts included: id → id, name, state, hash."""
    index: dict[str, dict[str, Any]] = {}
    start = 0
    while True:
        page = site.read("package_search", q="*:*", fq=f'{SOURCE_KEY}:"{source}"',
                         include_private=True, include_drafts=True, sort="id asc",
                         fl=["id", "name", "state", f"extras_{HASH_KEY}"],
                         rows=PAGE, start=start)
        index.update((row["id"], row) for row in page["results"])
        start += PAGE
        if start >= page["count"]:
            return index


def _withdraw(site: OpenSite, index: dict[str, dict[str, Any]], open_ids: set[str],
              result: Result) -> None:
    """Soft-delete what is no longer open here: the open site keeps its own records
    (grants, applications, activity) of the entry, and the entry can come back."""
    for entry_id, row in index.items():
        if entry_id in open_ids:
            continue
        try:
            site.write("package_delete", id=entry_id)
        except tk.ObjectNotFound:
            pass
        result.withdrawn.append(row["name"])


def _ensure_org(site: OpenSite, org_id: str) -> None:
    """Create or update the department with the fields of the organization schema."""
    org = tk.get_action("organization_show")(_context(), {
        "id": org_id, "include_datasets": False, "include_users": False})
    names = [f["field_name"] for f in catalog.organization_fields()]
    wanted = {name: org.get(name) or "" for name in names}
    wanted["image_url"] = _external(org.get("image_url"))
    there = site.show("organization_show", id=org_id, include_datasets=False,
                      include_users=False)
    if there is None:
        site.write("organization_create", id=org_id, **wanted)
    elif any((there.get(name) or "") != value for name, value in wanted.items()):
        site.write("organization_patch", id=org_id, **wanted)


def _ensure_groups(site: OpenSite, names: list[str], known: set[str]) -> None:
    """The theme groups the entry is filed under, where this site has them."""
    for name in sorted(set(names) - known):
        try:
            group = tk.get_action("group_show")(_context(), {"id": name, "include_datasets": False})
        except tk.ObjectNotFound:
            group = None
        if group and site.show("group_show", id=name, include_datasets=False) is None:
            site.write("group_create", name=name, title=group["title"],
                       description=group.get("description") or "")
        known.add(name)


def _form(resource: dict[str, Any]) -> dict[str, str]:
    """A resource as multipart form fields (strings only)."""
    return {key: str(value) for key, value in resource.items() if value is not None}


def _copy_files(site: OpenSite, data: dict[str, Any], uploads: list[Upload],
                there: dict[str, Any]) -> None:
    """Upload the files the open site lacks, before any metadata points at them."""
    current = {r["id"]: r for r in there.get("resources") or []}
    resources = {r["id"]: r for r in data["resources"]}
    for upload in uploads:
        resource = resources[upload.resource_id]
        existing = current.get(upload.resource_id)
        if existing and existing.get("url_type") == "upload" \
                and existing.get("hash") == resource["hash"]:
            continue
        with open(upload.path, "rb") as stream:
            site.write("resource_update" if existing else "resource_create",
                       files={"upload": (resource["url"], stream)},
                       package_id=data["id"], **_form(resource))


def _publish(site: OpenSite, data: dict[str, Any], uploads: list[Upload], source: str,
             digest: str) -> None:
    """Files first, then the metadata with the fingerprint, in one last write."""
    resources = {r["id"]: r for r in data["resources"]}
    for upload in uploads:  # read here before anything is written there
        resources[upload.resource_id]["hash"] = _sha256(upload)
    extras = [{"key": SOURCE_KEY, "value": source}]
    there = site.show("package_show", id=data["id"])
    if there is None:
        upload_ids = {u.resource_id for u in uploads}
        there = site.write("package_create", **dict(
            data, state="draft", extras=extras,
            resources=[r for r in data["resources"] if r["id"] not in upload_ids]))
    _copy_files(site, data, uploads, there)
    site.write("package_update", **dict(data, state="active",
                                        extras=extras + [{"key": HASH_KEY, "value": digest}]))


class _Run:
    """One sync run: what it has seen of the open site, and what it did."""

    def __init__(self, site: OpenSite):
        self.site = site
        self.source = tk.config.get("ckan.site_id")
        self.result = Result()
        self.orgs: set[str] = set()
        self.groups: set[str] = set()

    def entry(self, package: dict[str, Any], row: Optional[dict[str, Any]]) -> bool:
        """Bring one entry up to date on the open site; False when it already was."""
        if package["owner_org"] not in self.orgs:
            _ensure_org(self.site, package["owner_org"])
            self.orgs.add(package["owner_org"])
        data, uploads = published_version(package)
        digest = fingerprint(data, uploads)
        if row and row["state"] == "active" and row.get(HASH_KEY) == digest:
            return False
        _ensure_groups(self.site, data.get("themes") or [], self.groups)
        _publish(self.site, data, uploads, self.source, digest)
        return True

    def __call__(self) -> Result:
        entries = list(open_entries())
        index = published_index(self.site, self.source)
        _withdraw(self.site, index, {e["id"] for e in entries}, self.result)
        for package in entries:
            try:
                changed = self.entry(package, index.get(package["id"]))
            except ENTRY_ERRORS as error:
                log.warning("sync-open: %s not published: %s", package["name"], error)
                self.result.failed[package["name"]] = str(error)
                continue
            if changed:
                self.result.published.append(package["name"])
            else:
                self.result.unchanged += 1
        self.result.writes = self.site.writes
        return self.result


def sync_open(site: Optional[OpenSite] = None) -> Result:
    """Publish to the open site (``govshare.open_site.*`` unless ``site`` is given)."""
    if access.site_role() == access.OPEN:
        raise SyncError(tk._("This is the open site: run sync-open on the sharing site"))
    return _Run(site or OpenSite.from_config())()


def run_job() -> dict[str, Any]:
    """The RQ job (``tk.enqueue_job(run_job)``): one run, logged; the job fails
    when an entry could not be published, so the worker's records show it."""
    result = sync_open()
    for line in result.report():
        log.info("sync-open: %s", line)
    if result.failed:
        raise SyncError("; ".join(result.report()))
    return {"published": result.published, "unchanged": result.unchanged,
            "withdrawn": result.withdrawn, "writes": result.writes}

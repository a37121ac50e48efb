"""Catalog registration (目录编制 → 保密审查 → 报送 → 备案/退回), on the real services."""
from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import factories, helpers

from conftest import as_user, create_entry, entry_data, make_department, make_user
from ckanext.govshare import access, catalog_review, sync, workdays
from ckan.lib.navl.dictization_functions import DataError

from ckanext.govshare.model import CatalogStep

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")
REVIEW = {"reviewer": "张保密", "conclusion": "不涉及国家秘密，可按共享属性共享", "date": "2026-01-05"}


def call(user: dict[str, Any] | None, action: str, **data: Any) -> Any:
    return helpers.call_action(action, as_user(user), **data)


@pytest.fixture
def city(sysadmin_context, known_calendar):
    provider = make_department(name="provider-dept")
    other = make_department(name="other-dept")
    authority = make_department(name="data-authority")
    admin = make_user(provider, "admin")
    editor = make_user(provider, "editor")
    draft = call(editor, "package_create", **_entry(provider, name="draft-entry",
                                                     catalog_state="registered"))
    return {"provider": provider, "admin": admin, "editor": editor,
            "member": make_user(provider), "other": make_user(other),
            "authority": make_user(authority), "citizen": factories.User(),
            "draft": draft, "sysadmin_context": sysadmin_context}


def _entry(org: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return entry_data(org, **kwargs)


def _search_names(user: dict[str, Any] | None) -> set[str]:
    result = call(user, "package_search", q="*:*", include_private=True, rows=100)
    return {p["name"] for p in result["results"]}


def _state(name: str) -> str:
    return model.Package.get(name).extras["catalog_state"]


def test_a_new_entry_is_a_draft_whatever_its_department_sends(city):
    assert city["draft"]["catalog_state"] == "draft"
    call(city["editor"], "package_patch", id="draft-entry", catalog_state="registered")
    assert _state("draft-entry") == "draft"


@pytest.mark.parametrize("who, sees", [
    ("editor", True), ("member", True), ("authority", True),
    ("other", False), ("citizen", False), (None, False)])
def test_a_draft_is_seen_by_its_department_and_the_authority_only(city, who, sees):
    user = city[who] if who else None
    package = model.Package.get("draft-entry")
    assert access.can_see_entry(model.User.get(user["name"]) if user else None, package) is sees
    assert ("draft-entry" in _search_names(user)) is sees
    in_sql = access.visible_package_ids(model.User.get(user["name"]) if user else None,
                                        [package.id])
    assert (package.id in in_sql) is sees
    if not sees:
        with pytest.raises(tk.ObjectNotFound):
            call(user, "package_show", id="draft-entry")


def test_the_draft_data_is_the_departments_only_until_registered(city):
    """Unconditional share and general open apply from registration on."""
    other = model.User.get(city["other"]["name"])
    assert not access.can_use_data(other, model.Package.get("draft-entry"))
    call(city["admin"], "govshare_catalog_submit", ids=["draft-entry"], secrecy_review=REVIEW)
    call(city["authority"], "govshare_catalog_confirm", ids=["draft-entry"])
    assert _state("draft-entry") == "registered"
    assert access.can_use_data(other, model.Package.get("draft-entry"))
    assert "draft-entry" in _search_names(city["other"])


def test_submit_return_fix_confirm(city):
    call(city["admin"], "govshare_catalog_submit", ids=["draft-entry"], secrecy_review=REVIEW)
    assert _state("draft-entry") == "submitted"
    assert "draft-entry" not in _search_names(city["other"])
    call(city["authority"], "govshare_catalog_return", ids=["draft-entry"],
         reason="共享条件表述不清")
    assert _state("draft-entry") == "returned"
    call(city["editor"], "package_patch", id="draft-entry", notes="已按意见修改")
    call(city["admin"], "govshare_catalog_submit", ids=["draft-entry"], secrecy_review=REVIEW)
    call(city["authority"], "govshare_catalog_confirm", ids=["draft-entry"])
    steps = model.Session.query(CatalogStep).order_by(CatalogStep.id).all()
    assert [(s.step, s.to_state) for s in steps] == [
        ("submit", "submitted"), ("return", "returned"), ("submit", "submitted"),
        ("confirm", "registered")]
    assert steps[0].secrecy_review == {**REVIEW}
    assert steps[1].reason == "共享条件表述不清"
    assert steps[3].actor_id == model.User.get(city["authority"]["name"]).id


@pytest.mark.parametrize("who", ["editor", "member", "other", "authority"])
def test_only_the_departments_admin_submits(city, who):
    with pytest.raises(tk.NotAuthorized):
        call(city[who], "govshare_catalog_submit", ids=["draft-entry"], secrecy_review=REVIEW)
    assert _state("draft-entry") == "draft"


@pytest.mark.parametrize("who", ["admin", "editor", "other"])
def test_only_the_authority_confirms_and_returns(city, who):
    call(city["admin"], "govshare_catalog_submit", ids=["draft-entry"], secrecy_review=REVIEW)
    with pytest.raises(tk.NotAuthorized):
        call(city[who], "govshare_catalog_confirm", ids=["draft-entry"])
    with pytest.raises(tk.NotAuthorized):
        call(city[who], "govshare_catalog_return", ids=["draft-entry"], reason="不行")
    assert _state("draft-entry") == "submitted"


@pytest.mark.parametrize("review, part", [
    ({}, None), ({**REVIEW, "conclusion": " "}, "conclusion"), ({**REVIEW, "date": "明天"}, "date"),
    ({"reviewer": "张", "conclusion": "可"}, "date")])
def test_a_submission_needs_the_secrecy_review(city, review, part):
    with pytest.raises(tk.ValidationError) as error:
        call(city["admin"], "govshare_catalog_submit", ids=["draft-entry"], secrecy_review=review)
    assert "secrecy_review" in error.value.error_dict
    if part:
        assert part in error.value.error_dict["secrecy_review"][0].lower()
    assert _state("draft-entry") == "draft"


def test_all_or_none_with_errors_naming_entry_and_field(city):
    """An entry that no longer passes validation (its data predates a rule) stops the batch."""
    good = call(city["editor"], "package_create", **_entry(city["provider"], name="good-entry"))
    bad = call(city["editor"], "package_create", **_entry(city["provider"], name="bad-entry",
                                                          title="缺条件条目"))
    package = model.Package.get(bad["id"])
    package.extras = {**package.extras, "share_type": "conditional"}  # no share_condition
    model.Session.commit()
    with pytest.raises(tk.ValidationError) as error:
        call(city["admin"], "govshare_catalog_submit", ids=[good["id"], bad["id"]],
             secrecy_review=REVIEW)
    messages = " ".join(error.value.error_dict["ids"])
    assert "缺条件条目" in messages and "共享条件" in messages  # the entry and the field
    assert _state("good-entry") == "draft" and _state("bad-entry") == "draft"
    assert model.Session.query(CatalogStep).count() == 0


def _five_drafts(city: dict[str, Any]) -> list[dict[str, Any]]:
    return [call(city["editor"], "package_create",
                 **_entry(city["provider"], name=f"bulk-{i}", title=f"批量条目{i}"))
            for i in range(1, 6)]


def _indexed_state(user: dict[str, Any], name: str) -> str:
    """The catalog_state of the entry's search document (what Solr has, not PostgreSQL)."""
    found = call(user, "package_search", fq=f'name:"{name}"', include_private=True)
    return found["results"][0]["catalog_state"]


def _activities(package_id: str) -> int:
    from ckanext.activity.model import Activity
    return model.Session.query(Activity).filter(Activity.object_id == package_id).count()


def test_a_bulk_step_is_one_transaction_and_indexed_after_it(city):
    entries = _five_drafts(city)
    before = {e["id"]: _activities(e["id"]) for e in entries}
    commits = []  # the database's COMMITs (a savepoint's release is none)
    listener = lambda connection: commits.append(connection)  # noqa: E731
    sqlalchemy.event.listen(model.meta.engine, "commit", listener)
    try:
        call(city["admin"], "govshare_catalog_submit", ids=[e["id"] for e in entries],
             secrecy_review=REVIEW)
    finally:
        sqlalchemy.event.remove(model.meta.engine, "commit", listener)
    assert len(commits) == 1
    model.Session.expire_all()
    assert {_state(e["name"]) for e in entries} == {"submitted"}
    assert {_indexed_state(city["authority"], e["name"]) for e in entries} == {"submitted"}
    # each entry's change is in its activity stream, as a single package_update's would be
    assert all(_activities(e["id"]) == before[e["id"]] + 1 for e in entries)
    call(city["authority"], "govshare_catalog_return", ids=[e["id"] for e in entries[:2]],
         reason="请补充")
    call(city["authority"], "govshare_catalog_confirm", ids=[e["id"] for e in entries[2:]])
    assert [_indexed_state(city["authority"], e["name"]) for e in entries] == [
        "returned", "returned", "registered", "registered", "registered"]
    assert "bulk-3" in _search_names(city["other"]) and "bulk-1" not in _search_names(
        city["other"])


@pytest.mark.parametrize("step", ["submit", "confirm", "return"])
def test_a_failure_on_the_third_of_five_entries_leaves_the_first_two_unchanged(
        city, monkeypatch, step):
    """The write itself is all or none: with the check before it let through (as if the
    third entry changed after it), package_update refusing the third rolls back the first
    two, in PostgreSQL and in Solr, with no step, audit row or activity left."""
    from ckanext.govshare.model import AuditEvent

    entries = _five_drafts(city)
    ids = [e["id"] for e in entries]
    if step != "submit":
        call(city["admin"], "govshare_catalog_submit", ids=ids, secrecy_review=REVIEW)
    state = _state("bulk-1")
    package = model.Package.get(ids[2])
    package.extras = {**package.extras, "share_type": "conditional"}  # no share_condition
    model.Session.commit()
    steps, audits = model.Session.query(CatalogStep).count(), model.Session.query(
        AuditEvent).count()
    activities = {i: _activities(i) for i in ids}
    monkeypatch.setattr(catalog_review, "_target", lambda user, package, state, changes: (
        dict(tk.get_action("package_show")({"ignore_auth": True, "for_update": True},
                                           {"id": package.id}),
             catalog_state=state, **(changes or {})), []))
    with pytest.raises(tk.ValidationError) as error:
        if step == "submit":
            call(city["admin"], "govshare_catalog_submit", ids=ids, secrecy_review=REVIEW)
        elif step == "confirm":
            call(city["authority"], "govshare_catalog_confirm", ids=ids)
        else:
            call(city["authority"], "govshare_catalog_return", ids=ids, reason="不行")
    assert "share_condition" in error.value.error_dict
    model.Session.remove()
    assert [_state(e["name"]) for e in entries] == [state] * 5
    assert [_indexed_state(city["authority"], e["name"]) for e in entries] == [state] * 5
    assert model.Session.query(CatalogStep).count() == steps
    assert model.Session.query(AuditEvent).count() == audits
    assert {i: _activities(i) for i in ids} == activities


def test_entries_of_several_departments_or_registered_ones_are_refused(city, sysadmin_context):
    elsewhere = create_entry(sysadmin_context, make_department(), catalog_state="draft")
    with pytest.raises((tk.ValidationError, tk.NotAuthorized)):
        call(city["admin"], "govshare_catalog_submit", ids=["draft-entry", elsewhere["id"]],
             secrecy_review=REVIEW)
    registered = create_entry(sysadmin_context, city["provider"])
    with pytest.raises(tk.ValidationError) as error:
        call(city["admin"], "govshare_catalog_submit", ids=[registered["id"]],
             secrecy_review=REVIEW)
    assert registered["title"] in error.value.error_dict["ids"][0]
    with pytest.raises(tk.ValidationError):
        call(city["authority"], "govshare_catalog_confirm", ids=["draft-entry"])
    with pytest.raises(tk.ValidationError) as error:
        call(city["authority"], "govshare_catalog_return", ids=["draft-entry"], reason="")
    assert "reason" in error.value.error_dict


def test_a_share_change_of_a_registered_entry_waits_for_the_authority(city, sysadmin_context):
    entry = create_entry(sysadmin_context, city["provider"], name="registered-entry")
    call(city["editor"], "package_patch", id=entry["id"], share_type="conditional",
         share_condition="限履职使用", usage_scope=["work_reference"], notes="新的摘要")
    shown = call(city["other"], "package_show", id=entry["id"])
    assert shown["share_type"] == "unconditional"          # the registered version stands
    assert shown["notes"] == "新的摘要"                      # other edits apply at once
    # an invalid proposal is refused like an update
    with pytest.raises(tk.ValidationError) as error:
        call(city["editor"], "package_patch", id=entry["id"], share_type="conditional",
             share_condition="")
    assert "share_condition" in error.value.error_dict
    call(city["authority"], "govshare_catalog_confirm", ids=[entry["id"]])
    shown = call(city["other"], "package_show", id=entry["id"])
    assert shown["share_type"] == "conditional" and shown["share_condition"] == "限履职使用"


@pytest.mark.parametrize("items", [5, "items", [1, 2], [{"name": "x"}, "y"]])
def test_malformed_info_items_of_a_registered_entry_are_refused_naming_the_field(
        city, sysadmin_context, items):
    entry = create_entry(sysadmin_context, city["provider"], name="registered-entry")
    before = call(city["other"], "package_show", id=entry["id"]).get("info_items")
    # CKAN refuses a value of the wrong shape for a repeating field with a DataError, which
    # its API answers 400 naming the field; the review must not fail before it does
    with pytest.raises((tk.ValidationError, DataError)) as error:
        call(city["editor"], "package_patch", id=entry["id"], info_items=items)
    assert "info_items" in str(error.value) or "Values in lists need to be dicts" in str(error.value)
    assert call(city["other"], "package_show", id=entry["id"]).get("info_items") == before


def test_a_returned_change_is_dropped(city, sysadmin_context):
    entry = create_entry(sysadmin_context, city["provider"], name="registered-entry")
    call(city["editor"], "package_patch", id=entry["id"], open_type="closed")
    call(city["authority"], "govshare_catalog_return", ids=[entry["id"]], reason="应当开放")
    assert call(city["other"], "package_show", id=entry["id"])["open_type"] == "general"
    assert _state("registered-entry") == "registered"
    with pytest.raises(tk.ValidationError):  # nothing pending any more
        call(city["authority"], "govshare_catalog_confirm", ids=[entry["id"]])


def test_a_duty_change_makes_the_catalog_update_due(city):
    day = datetime.date(workdays.today().year, 1, 2)
    change = call(city["authority"], "govshare_duty_change_create",
                  owner_org="provider-dept", description="新增行政审批职责", date=day.isoformat())
    assert change["due"] == workdays.add_working_days(day, 15).isoformat()
    assert change["overdue"] is (workdays.today() > workdays.add_working_days(day, 15))
    with pytest.raises(tk.NotAuthorized):
        call(city["admin"], "govshare_duty_change_create", owner_org="provider-dept",
             description="x", date=day.isoformat())
    call(city["admin"], "govshare_catalog_submit", ids=["draft-entry"], secrecy_review=REVIEW)
    org = model.Group.get("provider-dept")
    assert all(c.updated is not None for c in catalog_review.duty_changes(org.id))


def test_the_sync_takes_registered_entries_in_their_registered_version(city, sysadmin_context):
    registered = create_entry(sysadmin_context, city["provider"], name="registered-entry")
    call(city["editor"], "package_patch", id=registered["id"], open_type="closed")
    published = {p["name"]: p for p in sync.open_entries()}
    assert "draft-entry" not in published
    assert published["registered-entry"]["open_type"] == "general"


# ------------------------------------------------------------------ the pages

def _headers(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=user["name"])["token"]}


def test_compile_submit_return_fix_confirm_from_the_pages(app, city, sysadmin_context):
    desk = app.get("/govshare/catalog", headers=_headers(city["editor"])).get_data(as_text=True)
    assert city["draft"]["title"] in desk
    form = {"ids": [city["draft"]["id"]], "reviewer": "张保密", "conclusion": "不涉密",
            "date": REVIEW["date"]}
    refused = app.post("/govshare/catalog", data={**form, "conclusion": ""},
                       headers=_headers(city["admin"]), status=400)
    assert "secrecy" in refused.get_data(as_text=True).lower() or "保密" in refused.get_data(
        as_text=True)
    app.post("/govshare/catalog", data=form, headers=_headers(city["admin"]))
    assert _state("draft-entry") == "submitted"
    queue = app.get("/govshare/catalog/review", headers=_headers(city["authority"]))
    assert city["draft"]["title"] in queue.get_data(as_text=True)
    app.get("/govshare/catalog/review", headers=_headers(city["admin"]), status=403)
    app.post("/govshare/catalog/review", headers=_headers(city["authority"]),
             data={"ids": [city["draft"]["id"]], "decision": "return", "reason": "摘要过于简单"})
    assert _state("draft-entry") == "returned"
    desk = app.get("/govshare/catalog", headers=_headers(city["editor"])).get_data(as_text=True)
    assert "摘要过于简单" in desk
    call(city["editor"], "package_patch", id="draft-entry", notes="更完整的摘要")
    app.post("/govshare/catalog", data=form, headers=_headers(city["admin"]))
    app.post("/govshare/catalog/review", headers=_headers(city["authority"]),
             data={"ids": [city["draft"]["id"]], "decision": "confirm"})
    assert _state("draft-entry") == "registered"


def test_the_review_queue_shows_the_diff_of_a_pending_change(app, city, sysadmin_context):
    entry = create_entry(sysadmin_context, city["provider"], name="registered-entry")
    call(city["editor"], "package_patch", id=entry["id"], open_type="closed")
    page = app.get("/govshare/catalog/review", headers=_headers(city["authority"]))
    body = page.get_data(as_text=True)
    assert entry["title"] in body
    assert ("普遍开放" in body and "不予开放" in body) or ("General open" in body
                                                      and "Not open" in body)

"""Spreadsheet import and export of the catalog in the national template, on the real
services (PostgreSQL, Solr)."""
from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import factories, helpers
from werkzeug.datastructures import FileStorage

from conftest import as_user, entry_data, make_department, make_user
from ckanext.govshare import catalog_io
from ckanext.govshare.model import AuditEvent, InfoItem

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

HEADER = ["信息资源名称", "信息资源摘要", "信息资源代码", "信息资源分类", "共享类型", "共享方式",
          "开放属性", "更新周期", "发布日期", "信息资源格式分类", "主题",
          "信息项名称", "数据类型", "数据长度"]


def xlsx(rows: list[list[Any]], merge: list[str] = ()) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for cells in merge:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content: bytes, filename: str = "catalog.xlsx") -> FileStorage:
    return FileStorage(io.BytesIO(content), filename=filename)


def do_import(user: dict[str, Any] | None, org: dict[str, Any], content: bytes,
              filename: str = "catalog.xlsx", **data: Any) -> dict[str, Any]:
    return helpers.call_action("govshare_catalog_import", as_user(user),
                               owner_org=org["name"], upload=upload(content, filename), **data)


@pytest.fixture
def city(sysadmin_context):
    for theme in ("health", "social_security"):
        factories.Group(name=theme)
    provider = make_department(name="provider-dept", title="市卫生健康委员会")
    other = make_department(name="other-dept")
    authority = make_department(name="data-authority")
    return {"provider": provider, "other": other, "admin": make_user(provider, "admin"),
            "editor": make_user(provider, "editor"), "other_admin": make_user(other, "admin"),
            "authority": make_user(authority), "sysadmin_context": sysadmin_context}


def _entries(org: dict[str, Any]) -> dict[str, model.Package]:
    return {p.extras.get("resource_code", p.name): p for p in model.Session.query(model.Package)
            .filter(model.Package.owner_org == org["id"], model.Package.state == "active")}


ROW = ["居民健康档案", "全市居民健康档案基本信息", "301001/000001", "部门信息资源", "无条件共享",
       "数据接口/系统对接、批量下载", "普遍开放", "每月", "2024-01-15", "电子表格", "",
       "姓名", "字符型", 50]


def test_labels_and_codes_read_the_same_and_entries_are_drafts(city):
    by_label = list(ROW)
    by_code = ["出生医学证明", "出生医学证明信息", "301001/000002", "department", "unconditional",
               "api,bulk_download", "general", "monthly", datetime.datetime(2024, 1, 15),
               "spreadsheet", "", "姓名", "C", "50"]
    result = do_import(city["admin"], city["provider"], xlsx([HEADER, by_label, by_code]))
    assert result == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    shown = [helpers.call_action("package_show", as_user(city["admin"]), id=p.id)
             for p in _entries(city["provider"]).values()]
    for entry in shown:
        assert entry["catalog_state"] == "draft"
        assert (entry["resource_class"], entry["share_type"], entry["open_type"]) == (
            "department", "unconditional", "general")
        assert entry["share_method"] == ["api", "bulk_download"]
        assert entry["publish_date"].startswith("2024-01-15")
        assert entry["info_items"] == [{"name": "姓名", "data_type": "C", "length": 50}]
    # found by search (indexed), by its department only while a draft
    found = helpers.call_action("package_search", as_user(city["admin"]), q="居民健康档案",
                                include_private=True)
    assert [p["resource_code"] for p in found["results"]] == ["301001/000001"]
    hidden = helpers.call_action("package_search", as_user(city["other_admin"]),
                                 q="居民健康档案", include_private=True)
    assert hidden["count"] == 0


def _comparable(package: dict[str, Any]) -> dict[str, Any]:
    """package_show apart from what differs between any two entries made the same way."""
    skip = {"id", "metadata_created", "metadata_modified", "creator_user_id", "revision_id"}
    shown = {k: v for k, v in package.items() if k not in skip}
    shown["organization"] = {k: v for k, v in (shown.get("organization") or {}).items()
                             if k not in skip}
    shown["groups"] = sorted(g["name"] for g in shown.get("groups") or [])
    shown["tags"] = sorted((t["name"], t.get("display_name")) for t in shown.get("tags") or [])
    return shown


def test_an_imported_entry_is_what_package_create_makes(city):
    """Same package_show, same search document, same audit rows, same item index, same
    activity, as the entry package_create makes from the same values."""
    values = entry_data(city["provider"], resource_code="201001/000001", resource_class="theme",
                        themes=["health", "social_security"], format_class="database",
                        share_type="conditional", share_condition="仅限卫生健康业务",
                        usage_scope=["work_reference"], open_type="authorized",
                        open_condition="经审批", provider_unit="信息中心", format_type="oracle",
                        related_codes=["301001/000009"], record_count="1200",
                        storage_size_gb="2.5", tag_string="健康,档案",
                        info_items=[{"name": "姓名", "data_type": "C", "length": "50",
                                     "share_type": "conditional", "open": "false"},
                                    {"name": "出生日期", "data_type": "D"}])
    values.pop("catalog_state")
    made = helpers.call_action("package_create", as_user(city["admin"]), **values)
    # the same values in the template, under another code
    exported = list(catalog_io.template_rows([dict(made, resource_code="201001/000002",
                                                   name="")],
                                             {city["provider"]["id"]: city["provider"]["title"]}))
    result = do_import(city["admin"], city["provider"], xlsx(exported))
    assert result["errors"] == [] and result["created"] == 1
    imported = helpers.call_action("package_show", as_user(city["admin"]), id="201001-000002")
    made = helpers.call_action("package_show", as_user(city["admin"]), id=made["id"])
    assert _comparable(dict(imported, resource_code="x", name="x")) == \
        _comparable(dict(made, resource_code="x", name="x"))
    # indexed the same way: found by a facet and by an item name, for its department
    found = helpers.call_action("package_search", as_user(city["admin"]), q="出生日期",
                                fq="themes:health", include_private=True)
    assert {p["name"] for p in found["results"]} == {made["name"], "201001-000002"}
    # audited, item-indexed and in the activity stream as package_create has it
    for package in (made, imported):
        events = {e.event for e in model.Session.query(AuditEvent)
                  .filter(AuditEvent.object_id == package["id"])}
        assert events == {"entry.share_type_changed", "entry.open_type_changed"}
        items = [i.name for i in model.Session.query(InfoItem)
                 .filter(InfoItem.package_id == package["id"]).order_by(InfoItem.position)]
        assert items == ["姓名", "出生日期"]
        activity = helpers.call_action("package_activity_list", as_user(city["admin"]),
                                       id=package["id"])
        assert [a["activity_type"] for a in activity] == ["new package"]


TIMESTAMPS = {"metadata_created", "metadata_modified", "indexed_ts", "_version_"}


def _solr_document(package_id: str, labels: list[str]) -> dict[str, Any]:
    """The entry's document as Solr holds it, every stored field, the timestamps left out
    (also those inside the stored package dicts); and which of ``labels`` it carries
    (permission labels are indexed, not stored)."""
    import json
    from ckan.lib.search import make_connection
    solr = make_connection()
    found = solr.search(q=f'id:"{package_id}"', fl="*").docs
    assert len(found) == 1
    document = {k: v for k, v in found[0].items() if k not in TIMESTAMPS}
    for key in ("data_dict", "validated_data_dict"):
        stored = json.loads(document[key])
        document[key] = {k: v for k, v in stored.items() if k not in TIMESTAMPS}
    document["permission_labels"] = [
        label for label in labels if solr.search(
            q=f'id:"{package_id}"', fq=f'permission_labels:"{label}"', fl="id").hits]
    return document


def test_an_imported_entry_is_indexed_as_a_reindex_and_a_package_update_index_it(city):
    """The document the import builds in bulk is, field by field, the one CKAN's own
    reindex (package_show, then index_package) and a package_update make of the entry:
    same text, facets, stored dicts and visibility labels (a draft: its department and the
    data authority only)."""
    from ckan.lib import search
    rows = [HEADER + ["标签"]]
    first = list(ROW) + ["健康,档案"]
    first[2], first[3], first[10] = "201001/000001", "theme", "health"
    second = ["", "", "", "", "", "", "", "", "", "", "", "性别", "字符型", 1, ""]
    plain = list(ROW) + [""]
    plain[0], plain[2] = "出生医学证明", "301001/000002"
    rows += [first, second, plain]
    result = do_import(city["admin"], city["provider"], xlsx(rows))
    assert result["errors"] == [] and result["created"] == 2
    provider, other = (f"member-{city[k]['id']}" for k in ("provider", "other"))
    labels = [provider, other, "authority", "gov", "public", f"creator-{city['admin']['id']}"]
    for package in _entries(city["provider"]).values():
        imported = _solr_document(package.id, labels)
        assert imported["permission_labels"] == [provider, "authority"]  # a draft
        search.rebuild(package.id)
        assert _solr_document(package.id, labels) == imported
        shown = helpers.call_action("package_show", as_user(city["admin"]), id=package.id)
        helpers.call_action("package_update", dict(city["sysadmin_context"]), **shown)
        assert _solr_document(package.id, labels) == imported
    themed = _solr_document(_entries(city["provider"])["201001/000001"].id, labels)
    assert themed["groups"] == ["health"] and sorted(themed["tags"]) == sorted(["健康", "档案"])
    assert themed["info_item_names"] == ["姓名", "性别"]


def _items(org: dict[str, Any]) -> dict[str, list[str]]:
    return {code: [i["name"] for i in json_items(p)] for code, p in _entries(org).items()}


def json_items(package: model.Package) -> list[dict[str, Any]]:
    import json
    return json.loads(package.extras.get("info_items") or "[]")


def test_one_row_per_item_with_merged_or_repeated_entry_columns(city):
    first = list(ROW)
    second = ["", "", "", "", "", "", "", "", "", "", "", "性别", "字符型", 1]
    repeated = list(ROW[:11]) + ["身份证号", "字符型", 18]
    other = list(ROW)
    other[2], other[0] = "301001/000002", "婚姻登记"
    other_item = list(other[:11]) + ["登记日期", "日期型", ""]
    rows = [HEADER, first, second, repeated, other, other_item]
    merged = [f"{col}2:{col}4" for col in "ABCDEFGHIJK"]
    result = do_import(city["admin"], city["provider"], xlsx(rows, merge=merged))
    assert result == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    assert _items(city["provider"]) == {"301001/000001": ["姓名", "性别", "身份证号"],
                                        "301001/000002": ["姓名", "登记日期"]}


def test_gb18030_csv_with_full_width_characters_and_stray_spaces(city):
    row = [" 居民健康档案 ", "全市居民健康档案，基本信息。", "３０１００１／０００００１", " 部门信息资源",
           "无条件共享 ", "数据接口/系统对接，批量下载", "普遍开放", " 每月", "2024年1月15日",
           "电子表格", "", "姓名", "字符型", "５０"]
    for serial, encoding in enumerate(("gb18030", "utf-8-sig", "utf-8"), 1):
        row[2] = f"３０１００１／００００{serial:02d}"
        text = "\n".join(",".join(f'"{c}"' for c in r) for r in [HEADER, row])
        result = do_import(city["admin"], city["provider"], text.encode(encoding), "目录.csv")
        assert result["errors"] == [] and result["created"] == 1, encoding
        entry = helpers.call_action("package_show", as_user(city["admin"]),
                                    id=f"301001-0000{serial:02d}")
        assert (entry["title"], entry["resource_code"], entry["publish_date"][:10]) == (
            "居民健康档案", f"301001/0000{serial:02d}", "2024-01-15")
        assert entry["notes"] == "全市居民健康档案，基本信息。"  # free text keeps its punctuation
        assert entry["share_method"] == ["api", "bulk_download"]
        assert entry["info_items"][0]["length"] == 50


def test_every_bad_row_is_reported_in_chinese_and_nothing_is_saved(app, city):
    good = list(ROW)
    bad_choice = list(ROW)
    bad_choice[2], bad_choice[4] = "301001/000002", "随便共享"
    missing_title = list(ROW)
    missing_title[2], missing_title[0] = "301001/000003", ""
    bad_item = ["", "", "", "", "", "", "", "", "", "", "", "性别", "文字型", ""]
    wrong_rule = list(ROW)
    wrong_rule[2], wrong_rule[4] = "301001/000004", "不予共享"
    duplicate = list(ROW)
    rows = [HEADER, good, bad_choice, missing_title, bad_item, wrong_rule, duplicate]
    token = helpers.call_action("api_token_create", {"ignore_auth": True},
                                user=city["admin"]["name"], name="t")["token"]
    audited = model.Session.query(AuditEvent).filter(AuditEvent.object_type == "package").count()
    response = app.post("/api/3/action/govshare_catalog_import", headers={"Authorization": token},
                        data={"owner_org": "provider-dept",
                              "upload": (io.BytesIO(xlsx(rows)), "catalog.xlsx")})
    result = response.json["result"]
    assert (result["created"], result["updated"]) == (1, 0)  # what would have been
    errors = {(e["row"], e["column"]): e["message"] for e in result["errors"]}
    assert set(errors) == {(3, "共享类型"), (4, "信息资源名称"), (5, "数据类型"),
                           (6, "不予共享依据"), (6, "开放属性"), (7, "信息资源代码")}
    assert "随便共享" in errors[(3, "共享类型")] and "无条件共享" in errors[(3, "共享类型")]
    assert errors[(7, "信息资源代码")] == "信息资源代码 301001/000001 已在本文件第 2 行"
    for message in errors.values():
        assert any("\u4e00" <= c <= "\u9fff" for c in message), message
    assert _entries(city["provider"]) == {}
    assert model.Session.query(AuditEvent).filter(
        AuditEvent.object_type == "package").count() == audited


def test_a_dry_run_saves_nothing(city):
    result = do_import(city["admin"], city["provider"], xlsx([HEADER, ROW]), dry_run=True)
    assert result == {"created": 1, "updated": 0, "unchanged": 0, "errors": []}
    assert _entries(city["provider"]) == {}
    assert helpers.call_action("package_search", as_user(city["admin"]), q="*:*",
                               include_private=True)["count"] == 0


def test_a_file_that_is_no_template_is_a_validation_error(city):
    with pytest.raises(tk.ValidationError) as error:
        do_import(city["admin"], city["provider"], xlsx([["序号", "名称"], [1, "x"]]))
    assert "信息资源代码" in error.value.error_dict["upload"][0]
    with pytest.raises(tk.ValidationError) as error:
        do_import(city["admin"], city["provider"], b"\x00\x01garbage", "x.xlsx")
    assert list(error.value.error_dict) == ["upload"]
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("govshare_catalog_import", as_user(city["admin"]),
                            owner_org="provider-dept", upload="not a file")
    assert list(error.value.error_dict) == ["upload"]


@pytest.mark.parametrize("who, department, allowed", [
    ("admin", "provider", True), ("editor", "provider", False),
    ("other_admin", "provider", False), ("other_admin", "other", True),
    ("authority", "provider", True), (None, "provider", False)])
def test_who_may_import_for_which_department(city, monkeypatch, who, department, allowed):
    monkeypatch.setitem(tk.config, "govshare.authority_org", "data-authority")
    user = city[who] if who else None
    if allowed:
        assert do_import(user, city[department], xlsx([HEADER, ROW]))["created"] == 1
    else:
        with pytest.raises(tk.NotAuthorized):
            do_import(user, city[department], xlsx([HEADER, ROW]))
        assert _entries(city[department]) == {}


def test_a_code_of_another_department_is_refused(city):
    helpers.call_action("package_create", dict(city["sysadmin_context"]),
                        **entry_data(city["other"], resource_code="301001/000001"))
    result = do_import(city["admin"], city["provider"], xlsx([HEADER, ROW]))
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(2, "信息资源代码")]
    assert _entries(city["provider"]) == {}


def _registered(city: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return helpers.call_action("package_create", dict(city["sysadmin_context"]),
                               **entry_data(city["provider"], **kwargs))


def _export(app: Any, user: dict[str, Any] | None, url: str, status: int = 200) -> bytes:
    headers = {"Authorization": helpers.call_action(
        "api_token_create", {"ignore_auth": True}, user=user["name"], name="t")["token"]} \
        if user else {}
    response = app.get(url, headers=headers, status=status)
    return response.data if hasattr(response, "data") else response.body


def _codes_in(content: bytes) -> list[str]:
    entries, problems = catalog_io.read(io.BytesIO(content), "x.xlsx")
    assert problems == []
    return sorted(e.values["resource_code"] for e in entries)


def test_importing_an_export_changes_nothing_and_a_changed_row_updates(app, city):
    _registered(city, resource_code="201001/000001", resource_class="theme",
                themes=["health"], share_type="conditional", share_condition="仅限业务",
                usage_scope=["work_reference", "data_verification"], open_type="authorized",
                open_condition="经审批", tag_string="健康,档案", related_codes=["301001/000002"],
                record_count="10", storage_size_gb="1.5", format_class="database",
                info_items=[{"name": "姓名", "data_type": "C", "length": "50",
                             "share_type": "none", "open": "false"},
                            {"name": "性别", "data_type": "C"}])
    _registered(city, resource_code="301001/000002")
    helpers.call_action("package_create", as_user(city["admin"]),
                        **{k: v for k, v in entry_data(city["provider"],
                                                       resource_code="301001/000003").items()
                           if k != "catalog_state"})
    exported = _export(app, city["admin"], "/organization/provider-dept/catalog.xlsx")
    assert _codes_in(exported) == ["201001/000001", "301001/000002", "301001/000003"]
    before = {p.id: p.metadata_modified for p in _entries(city["provider"]).values()}
    result = do_import(city["admin"], city["provider"], exported)
    assert result == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    assert {p.id: p.metadata_modified for p in _entries(city["provider"]).values()} == before

    book = openpyxl.load_workbook(io.BytesIO(exported))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("信息资源代码")].value == "301001/000003":
            row[header.index("信息资源名称")].value = "改过的名称"
    changed = io.BytesIO()
    book.save(changed)
    result = do_import(city["admin"], city["provider"], changed.getvalue())
    assert result == {"created": 0, "updated": 1, "unchanged": 2, "errors": []}
    model.Session.remove()
    assert model.Package.get("301001-000003").title == "改过的名称"
    found = helpers.call_action("package_search", as_user(city["admin"]), q="改过的名称",
                                include_private=True)
    assert [p["resource_code"] for p in found["results"]] == ["301001/000003"]
    assert found["results"][0]["catalog_state"] == "draft"
    activity = helpers.call_action("package_activity_list", as_user(city["admin"]),
                                   id="301001-000003")
    assert [a["activity_type"] for a in activity] == ["changed package", "new package"]


def test_a_code_a_deleted_entry_keeps_is_refused_naming_that_entry(app, city):
    """A deleted entry keeps its resource code until purged: a row with that code is
    refused, naming the entry, as package_create refuses it (the validators answer from the
    lookups made once for the whole file); a URL a deleted entry had is no conflict."""
    _registered(city, resource_code="301001/000001")
    helpers.call_action("package_delete", dict(city["sysadmin_context"]), id="301001-000001")
    other = list(ROW)
    other[2] = "301001/000002"
    token = helpers.call_action("api_token_create", {"ignore_auth": True},
                                user=city["admin"]["name"], name="t")["token"]
    response = app.post("/api/3/action/govshare_catalog_import", headers={"Authorization": token},
                        data={"owner_org": "provider-dept",
                              "upload": (io.BytesIO(xlsx([HEADER, ROW, other])), "catalog.xlsx")})
    taken = "信息资源代码 301001/000001 已被信息资源 301001-000001 使用"
    assert {(e["row"], e["column"]): e["message"]
            for e in response.json["result"]["errors"]} == {(2, "信息资源代码"): taken}
    assert model.Package.get("301001-000002") is None
    created = app.post("/api/3/action/package_create", headers={"Authorization": token},
                       json=entry_data(city["provider"], resource_code="301001/000001"),
                       status=409)
    assert created.json["error"]["resource_code"] == [taken]


def test_a_changed_harvested_entry_is_indexed_with_its_harvest_extras(app, city):
    """The import asks once per batch which entries have a current harvest object and
    skips ckanext-harvest's per-entry question for the others: an entry that has one gets
    its harvest extras in the document, as a reindex gives them; one without gets none."""
    import datetime as dt
    from ckan.lib import search
    from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestSource
    _registered(city, resource_code="301001/000002")
    _registered(city, resource_code="301001/000003")
    harvested, plain = (model.Package.get(n) for n in ("301001-000002", "301001-000003"))
    source = HarvestSource(url="http://province.example/catalog.ttl", type="govshare_dcat",
                           title="省平台")
    source.save()
    job = HarvestJob(source=source)
    job.save()
    HarvestObject(guid="g", job=job, source=source, package_id=harvested.id, current=True,
                  import_finished=dt.datetime.utcnow()).save()
    ids = {harvested.id: source.id, plain.id: None}
    book = openpyxl.load_workbook(io.BytesIO(
        _export(app, city["admin"], "/organization/provider-dept/catalog.xlsx")))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        row[header.index("信息资源名称")].value += "（改）"
    changed = io.BytesIO()
    book.save(changed)
    result = do_import(city["admin"], city["provider"], changed.getvalue())
    assert result["updated"] == 2 and result["errors"] == []
    labels = [f"member-{city['provider']['id']}", "authority"]
    for package_id, source_id in ids.items():
        imported = _solr_document(package_id, labels)
        for stored in ("data_dict", "validated_data_dict"):
            extras = {e["key"]: e["value"] for e in imported[stored].get("extras") or []}
            assert extras.get("harvest_source_id") == source_id
        search.rebuild(package_id)
        assert _solr_document(package_id, labels) == imported


def test_a_failing_update_takes_the_new_entries_back_too(app, city, monkeypatch):
    """New and changed entries are one transaction: an update that fails while it is
    written leaves the new entries unsaved and unindexed, the changed one as it was."""
    from ckanext.govshare import themes
    helpers.call_action("package_create", as_user(city["admin"]),
                        **{k: v for k, v in entry_data(city["provider"],
                                                       resource_code="301001/000001").items()
                           if k != "catalog_state"})
    changed = list(ROW)
    changed[0] = "改过的名称"
    new = list(ROW)
    new[0], new[2] = "新的条目", "301001/000002"

    def broken(context: Any, pkg_dict: dict[str, Any]) -> None:
        raise RuntimeError("theme sync failed")

    monkeypatch.setattr(themes, "sync_groups", broken)
    with pytest.raises(RuntimeError):
        do_import(city["admin"], city["provider"], xlsx([HEADER, changed, new]))
    model.Session.remove()
    assert sorted(_entries(city["provider"])) == ["301001/000001"]
    assert model.Package.get("301001-000001").title != "改过的名称"
    found = helpers.call_action("package_search", as_user(city["admin"]), q="新的条目",
                                include_private=True)
    assert found["count"] == 0


def test_an_export_holds_what_the_caller_may_see(app, city, monkeypatch):
    monkeypatch.setitem(tk.config, "govshare.authority_org", "data-authority")
    _registered(city, resource_code="301001/000001")
    helpers.call_action("package_create", as_user(city["admin"]),
                        **{k: v for k, v in entry_data(city["provider"],
                                                       resource_code="301001/000002").items()
                           if k != "catalog_state"})  # a draft
    _registered(city, resource_code="301001/000003", open_type="closed")
    url = "/organization/provider-dept/catalog.xlsx"
    assert _codes_in(_export(app, city["admin"], url)) == [
        "301001/000001", "301001/000002", "301001/000003"]
    assert _codes_in(_export(app, city["other_admin"], url)) == ["301001/000001", "301001/000003"]
    assert _codes_in(_export(app, city["authority"], url)) == ["301001/000001", "301001/000003"]
    assert _codes_in(_export(app, None, url)) == ["301001/000001"]  # open entries only
    assert _codes_in(_export(app, city["authority"], "/govshare/catalog.xlsx")) == [
        "301001/000001", "301001/000003"]
    _export(app, city["other_admin"], "/govshare/catalog.xlsx", status=403)


def test_the_import_page_previews_errors_then_imports_as_a_job(app, city):
    from ckan.lib import jobs
    from conftest import run_jobs
    jobs.get_queue().empty()  # what earlier tests queued is not this test's
    token = helpers.call_action("api_token_create", {"ignore_auth": True},
                                user=city["admin"]["name"], name="t")["token"]
    headers = {"Authorization": token}
    url = "/organization/provider-dept/catalog/import"
    assert "catalog.xlsx" in app.get(url, headers=headers).body
    bad = list(ROW)
    bad[4] = "随便共享"
    page = app.post(url, headers=headers, status=400,
                    data={"upload": (io.BytesIO(xlsx([HEADER, bad])), "bad.xlsx")})
    assert "govshare-import-errors" in page.body and "随便共享" in page.body
    assert 'name="token"' not in page.body
    page = app.post(url, headers=headers,
                    data={"upload": (io.BytesIO(xlsx([HEADER, ROW])), "good.xlsx")})
    assert _entries(city["provider"]) == {}  # the preview saved nothing
    job = page.body.split('name="token" value="')[1].split('"')[0]
    status = app.post(url, headers=headers, data={"token": job}, follow_redirects=False)
    assert status.status_code == 302 and job in status.headers["Location"]
    assert 'data-status="waiting"' in app.get(f"/govshare/catalog/import/{job}",
                                               headers=headers).body
    assert run_jobs() == 1
    done = app.get(f"/govshare/catalog/import/{job}", headers=headers).body
    assert 'data-status="done"' in done
    assert list(_entries(city["provider"])) == ["301001/000001"]
    other = {"Authorization": helpers.call_action(
        "api_token_create", {"ignore_auth": True}, user=city["other_admin"]["name"],
        name="t")["token"]}
    app.get(f"/govshare/catalog/import/{job}", headers=other, status=404)
    app.get(url, headers=other, status=403)


def test_the_command_imports_with_a_dry_run_first(cli, city, tmp_path, ckan_config):
    from ckanext.govshare.cli import govshare
    path = tmp_path / "目录.xlsx"
    path.write_bytes(xlsx([HEADER, ROW]))
    result = cli.invoke(govshare, ["import", str(path), "--department", "provider-dept",
                                   "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "created 1" in result.output and _entries(city["provider"]) == {}
    result = cli.invoke(govshare, ["import", str(path), "--department", "provider-dept"])
    assert result.exit_code == 0, result.output
    assert list(_entries(city["provider"])) == ["301001/000001"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes("\n".join(",".join(map(str, r)) for r in [HEADER, ROW[:4] + ["x"] + ROW[5:]])
                    .encode("gb18030"))
    result = cli.invoke(govshare, ["import", str(bad), "--department", "provider-dept"])
    assert result.exit_code == 1 and "row 2" in result.output


def test_the_command_with_workers_imports_and_indexes_everything(cli, city, tmp_path, monkeypatch):
    """Checks and documents shared out to forked processes: the same entries, all found,
    each with its activity."""
    from ckanext.govshare import catalog_import
    from ckanext.govshare.cli import govshare
    monkeypatch.setattr(catalog_import, "PARALLEL_MIN", 1)
    monkeypatch.setattr(catalog_import, "BATCH", 7)
    helpers.call_action("package_create", as_user(city["admin"]),
                        **{k: v for k, v in entry_data(city["provider"],
                                                       resource_code="301001/000031").items()
                           if k != "catalog_state"})
    rows = [HEADER]
    for serial in range(1, 32):  # the last one is the entry above, changed
        row = list(ROW)
        row[0], row[2] = f"批量条目{serial}", f"301001/{serial:06d}"
        rows.append(row)
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(xlsx(rows))
    result = cli.invoke(govshare, ["import", str(path), "--department", "provider-dept",
                                   "--workers", "2"])
    assert result.exit_code == 0, result.output
    model.Session.remove()
    assert len(_entries(city["provider"])) == 31
    found = helpers.call_action("package_search", as_user(city["admin"]), q="批量条目",
                                include_private=True, rows=100)
    assert found["count"] == 31
    from ckanext.activity.model import Activity
    assert model.Session.query(Activity).filter(Activity.activity_type == "new package").count() == 31
    assert model.Session.query(Activity).filter(
        Activity.activity_type == "changed package").count() == 1

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

"""The national exchange format (XML with its XSD): derived from the catalog schema, the
export valid against the published XSD and holding what the spreadsheet export holds for
the same user, the import of an export changing nothing, bad files answered in Chinese
naming the line and the element."""
from __future__ import annotations

import io
import json
import tracemalloc
from typing import Any

import pytest
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.tests import factories, helpers
from lxml import etree
from werkzeug.datastructures import FileStorage

from conftest import as_user, entry_data, make_department, make_user
from ckanext.govshare import catalog_io, exchange_xml
from ckanext.govshare import schema as catalog

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

NS = {"x": exchange_xml.NS, "xs": "http://www.w3.org/2001/XMLSchema"}


@pytest.fixture
def city(sysadmin_context, monkeypatch):
    monkeypatch.setitem(tk.config, "govshare.authority_org", "data-authority")
    for theme in ("health", "social_security"):
        factories.Group(name=theme)
    provider = make_department(name="provider-dept", title="市卫生健康委员会")
    other = make_department(name="other-dept", title="市公安局")
    authority = make_department(name="data-authority")
    return {"provider": provider, "other": other, "admin": make_user(provider, "admin"),
            "other_admin": make_user(other, "admin"), "authority": make_user(authority),
            "citizen": make_user(), "sysadmin": factories.Sysadmin(),
            "sysadmin_context": sysadmin_context}


def _headers(user: dict[str, Any] | None) -> dict[str, str]:
    if user is None:
        return {}
    return {"Authorization": helpers.call_action(
        "api_token_create", {"ignore_auth": True}, user=user["name"], name="t")["token"]}


def _get(app: Any, user: dict[str, Any] | None, url: str, status: int = 200) -> bytes:
    response = app.get(url, headers=_headers(user), status=status)
    return response.data if hasattr(response, "data") else response.body


def _xsd(app: Any) -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(_get(app, None, "/govshare/exchange.xsd")))


def _codes(document: bytes) -> list[str]:
    root = etree.fromstring(document)
    return sorted(root.xpath("x:entry/x:resource_code/text()", namespaces=NS))


def _xlsx_codes(document: bytes) -> list[str]:
    entries, problems = catalog_io.read(io.BytesIO(document), "x.xlsx")
    assert problems == []
    return sorted(e.values["resource_code"] for e in entries)


def do_import(user: dict[str, Any], org: dict[str, Any], content: bytes,
              filename: str = "catalog.xml", **data: Any) -> dict[str, Any]:
    return helpers.call_action("govshare_catalog_import", as_user(user), owner_org=org["name"],
                               upload=FileStorage(io.BytesIO(content), filename=filename),
                               **data)


def api_import(app: Any, user: dict[str, Any], content: bytes, status: int = 200,
               filename: str = "catalog.xml") -> dict[str, Any]:
    """The import through the API, as a client (and its language) gets it."""
    return app.post("/api/3/action/govshare_catalog_import", headers=_headers(user),
                    data={"owner_org": "provider-dept",
                          "upload": (io.BytesIO(content), filename)}, status=status).json


def _registered(city: dict[str, Any], org: str, **kwargs: Any) -> dict[str, Any]:
    return helpers.call_action("package_create", dict(city["sysadmin_context"]),
                               **entry_data(city[org], **kwargs))


def _draft(city: dict[str, Any], org: str, admin: str, **kwargs: Any) -> dict[str, Any]:
    values = entry_data(city[org], **kwargs)
    values.pop("catalog_state")
    return helpers.call_action("package_create", as_user(city[admin]), **values)


def _entries(org: dict[str, Any]) -> dict[str, model.Package]:
    return {p.extras["resource_code"]: p for p in model.Session.query(model.Package)
            .filter(model.Package.owner_org == org["id"], model.Package.state == "active")}


# ------------------------------------------------------------------ the XSD

def test_the_xsd_is_the_catalog_schema(app):
    """Every form field of schemas/dataset.yaml is an element of <entry>, in schema order,
    documented with its Chinese label; choices are enumerations of their codes; required
    fields occur at least once; dates are xs:date; items are repeated nested elements."""
    xsd = etree.fromstring(_get(app, None, "/govshare/exchange.xsd"))
    assert xsd.get("targetNamespace") == exchange_xml.NS
    entry = xsd.find("xs:element[@name='entry']", NS)
    declared = entry.findall("xs:complexType/xs:sequence/xs:element", NS)
    fields = [f for f in catalog.dataset_fields() if f.get("form_snippet", "") is not None]
    assert [e.get("name") for e in declared] == [f["field_name"] for f in fields]

    def simple_type(name: str) -> etree._Element:
        return xsd.find(f"xs:simpleType[@name='{name}']/xs:restriction", NS)

    for element, field in zip(declared, fields):
        docs = element.findall("xs:annotation/xs:documentation", NS)
        assert catalog.field_label(field, "zh_Hans_CN") in [d.text for d in docs]
        assert element.get("minOccurs") == ("1" if field.get("required") else "0")
        if field.get("choices"):
            codes = simple_type(element.get("type")).findall("xs:enumeration", NS)
            assert [c.get("value") for c in codes] == [c["value"] for c in field["choices"]]
            assert [c.find("xs:annotation/xs:documentation", NS).text for c in codes] == \
                [c["label"]["zh_Hans_CN"] for c in field["choices"]]
        if field.get("preset") == "date":
            assert simple_type(element.get("type")).get("base") == "xs:date"
        if field.get("repeating_subfields"):
            assert element.get("maxOccurs") == "unbounded"
            subs = xsd.findall(f"xs:complexType[@name='{element.get('type')}']"
                               "/xs:sequence/xs:element", NS)
            assert [s.get("name") for s in subs] == \
                [s["field_name"] for s in field["repeating_subfields"]]
    assert xsd.find("xs:element[@name='catalog']", NS) is not None
    _xsd(app)  # it compiles


# ------------------------------------------------------------------ export and round trip

def _full_entry(city: dict[str, Any]) -> dict[str, Any]:
    return _registered(city, "provider", resource_code="201001/000001", resource_class="theme",
                       themes=["health", "social_security"], share_type="conditional",
                       share_condition="仅限卫生健康业务 <及相关> & 协同", provider_unit="信息中心",
                       usage_scope=["work_reference", "data_verification"],
                       open_type="authorized", open_condition="经审批", tag_string="健康,档案",
                       related_codes=["301001/000002"], record_count="1200",
                       storage_size_gb="2.5", format_class="database", format_type="oracle",
                       notes="第一行\n第二行",
                       info_items=[{"name": "姓名", "data_type": "C", "length": "50",
                                    "share_type": "none", "open": "false"},
                                   {"name": "出生日期", "data_type": "D"}])


def _comparable(package: dict[str, Any]) -> dict[str, Any]:
    skip = {"id", "metadata_created", "metadata_modified", "creator_user_id", "revision_id",
            "catalog_state", "data_updated", "update_overdue",
            "private"}  # made again it is a draft (hidden), as every imported entry
    shown = {k: v for k, v in package.items() if k not in skip}
    shown["organization"] = (package.get("organization") or {}).get("name")
    shown["groups"] = sorted(g["name"] for g in package.get("groups") or [])
    shown["tags"] = sorted(t["name"] for t in package.get("tags") or [])
    return shown


def test_the_export_is_valid_and_importing_it_changes_nothing(app, city):
    full = _full_entry(city)
    _registered(city, "provider", resource_code="301001/000002")
    _draft(city, "provider", "admin", resource_code="301001/000003")
    url = "/organization/provider-dept/catalog.xml"
    exported = _get(app, city["admin"], url)
    document = etree.fromstring(exported)
    _xsd(app).assertValid(document)
    assert _codes(exported) == ["201001/000001", "301001/000002", "301001/000003"]
    entry = document.xpath("x:entry[x:resource_code='201001/000001']", namespaces=NS)[0]
    owner = entry.find("x:owner_org", NS)
    assert (owner.text, owner.get("title")) == (city["provider"]["department_code"],
                                                 "市卫生健康委员会")
    assert entry.xpath("x:themes/text()", namespaces=NS) == ["health", "social_security"]
    assert entry.findtext("x:publish_date", namespaces=NS) == "2024-01-15"
    assert entry.findtext("x:share_condition", namespaces=NS) == "仅限卫生健康业务 <及相关> & 协同"
    items = entry.findall("x:info_items", NS)
    assert [(i.findtext("x:name", namespaces=NS), i.findtext("x:data_type", namespaces=NS),
             i.findtext("x:open", namespaces=NS)) for i in items] == [
        ("姓名", "C", "false"), ("出生日期", "D", None)]

    before = {p.id: p.metadata_modified for p in _entries(city["provider"]).values()}
    result = do_import(city["admin"], city["provider"], exported)
    assert result == {"created": 0, "updated": 0, "unchanged": 3, "errors": []}
    model.Session.remove()
    assert {p.id: p.metadata_modified for p in _entries(city["provider"]).values()} == before

    # one changed value updates that entry only
    code = document.xpath("x:entry[x:resource_code='301001/000003']/x:title", namespaces=NS)[0]
    code.text = "改过的名称"
    result = do_import(city["admin"], city["provider"], etree.tostring(document))
    assert result == {"created": 0, "updated": 1, "unchanged": 2, "errors": []}
    model.Session.remove()
    assert model.Package.get("301001-000003").title == "改过的名称"

    # made again from the document alone: the same entry, field by field
    shown = helpers.call_action("package_show", as_user(city["admin"]), id=full["id"])
    helpers.call_action("dataset_purge", dict(city["sysadmin_context"]), id=full["id"])
    result = do_import(city["admin"], city["provider"], exported)
    assert (result["created"], result["errors"]) == (1, [])
    again = helpers.call_action("package_show", as_user(city["admin"]), id="201001-000001")
    assert _comparable(again) == _comparable(shown)


def test_the_export_holds_what_the_spreadsheet_export_holds(app, city):
    """The spreadsheet export's rule, user by user: drafts to their department only,
    registered entries as the one visibility rule shows them, the whole catalog for the
    authority; a not-shared entry of another department never where that rule hides it."""
    _registered(city, "provider", resource_code="301001/000001")
    _draft(city, "provider", "admin", resource_code="301001/000002")
    _registered(city, "provider", resource_code="301001/000003", open_type="closed")
    _registered(city, "other", resource_code="301002/000001", share_type="none",
                no_share_basis="《保守国家秘密法》", open_type="closed")
    _draft(city, "other", "other_admin", resource_code="301002/000002", share_type="none",
           no_share_basis="《保守国家秘密法》", open_type="closed")
    not_shared = {"301002/000001", "301002/000002"}
    seen = {}
    for kind in ("admin", "other_admin", "authority", "citizen", "sysadmin", None):
        user = city[kind] if kind else None
        for path in ("/organization/provider-dept/catalog", "/organization/other-dept/catalog"):
            xml = _codes(_get(app, user, path + ".xml"))
            assert xml == _xlsx_codes(_get(app, user, path + ".xlsx")), (kind, path)
            seen[kind, path] = xml
    provider, other = "/organization/provider-dept/catalog", "/organization/other-dept/catalog"
    assert seen["admin", provider] == ["301001/000001", "301001/000002", "301001/000003"]
    assert seen["other_admin", provider] == ["301001/000001", "301001/000003"]
    assert seen[None, provider] == seen["citizen", provider] == ["301001/000001"]
    assert seen["other_admin", other] == ["301002/000001", "301002/000002"]
    assert seen["admin", other] == ["301002/000001"]  # registered: its metadata, never a draft
    for kind in ("citizen", None):
        assert not not_shared & set(seen[kind, other]), kind
    assert _codes(_get(app, city["authority"], "/govshare/catalog.xml")) == _xlsx_codes(
        _get(app, city["authority"], "/govshare/catalog.xlsx")) == [
        "301001/000001", "301001/000003", "301002/000001"]
    _get(app, city["other_admin"], "/govshare/catalog.xml", status=403)
    _get(app, None, "/organization/no-such-dept/catalog.xml", status=404)


def test_on_the_open_site_a_not_shared_entry_never_leaves_its_department(app, city,
                                                                          monkeypatch):
    _registered(city, "other", resource_code="301002/000001", share_type="none",
                no_share_basis="《保守国家秘密法》", open_type="closed")
    _registered(city, "other", resource_code="301002/000003")
    monkeypatch.setitem(tk.config, "govshare.site_role", "open")
    url = "/organization/other-dept/catalog.xml"
    for kind in ("admin", "citizen", None):
        assert _codes(_get(app, city[kind] if kind else None, url)) == ["301002/000003"], kind
    assert _codes(_get(app, city["other_admin"], url)) == ["301002/000001", "301002/000003"]


def test_an_export_is_audited(app, city):
    from ckanext.govshare.model import AuditEvent
    _registered(city, "provider", resource_code="301001/000001")
    response = app.get("/organization/provider-dept/catalog.xml",
                       headers=_headers(city["admin"]))
    assert response.headers["Content-Type"].startswith("application/xml")
    event = (model.Session.query(AuditEvent)
             .filter(AuditEvent.event == "data.exported").order_by(AuditEvent.id.desc()).first())
    assert event.detail["endpoint"] == "govshare.catalog_xml"
    assert event.actor_name == city["admin"]["name"]


def test_streaming_keeps_memory_bounded(city):
    """The writer holds one entry at a time: its peak memory for 10,000 entries is that
    of 1,000 (the database side reads in batches of 2,000, catalog_io.exported_entries;
    README has the figures for 50,000)."""
    package = helpers.call_action("package_show", {"ignore_auth": True},
                                  id=_full_entry(city)["id"])
    departments = exchange_xml.department_codes()

    def peak(count: int) -> tuple[int, int]:
        entries = (dict(package, resource_code=f"201001/{n:06d}") for n in range(count))
        tracemalloc.start()
        size = sum(len(part) for part in exchange_xml.stream(entries, departments))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return size, top

    small_size, small_peak = peak(1000)
    size, top = peak(10000)
    assert size > 9 * small_size
    assert top < 2 * small_peak + 1_000_000, (top, small_peak)


# ------------------------------------------------------------------ bad files

ENTRY = """  <entry>
    <title>居民健康档案</title>
    <notes>全市居民健康档案基本信息</notes>
    <resource_code>{code}</resource_code>
    <resource_class>department</resource_class>
    <share_type>{share_type}</share_type>
    <share_method>api</share_method>
    <open_type>general</open_type>
    <update_frequency>monthly</update_frequency>
    <publish_date>{date}</publish_date>
    <format_class>spreadsheet</format_class>
    <info_items>
      <name>姓名</name>
      <data_type>{data_type}</data_type>
    </info_items>
  </entry>
"""


def document(*entries: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog xmlns="{exchange_xml.NS}">\n'
            + "".join(entries) + "</catalog>\n").encode()


def good(code: str = "301001/000001", share_type: str = "unconditional",
         date: str = "2024-01-15", data_type: str = "C") -> str:
    return ENTRY.format(code=code, share_type=share_type, date=date, data_type=data_type)


def _chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_a_good_document_imports_like_a_spreadsheet(city):
    result = do_import(city["admin"], city["provider"], document(good(), good("301001/000002")))
    assert result == {"created": 2, "updated": 0, "unchanged": 0, "errors": []}
    entry = helpers.call_action("package_show", as_user(city["admin"]), id="301001-000001")
    assert (entry["catalog_state"], entry["share_method"], entry["info_items"]) == (
        "draft", ["api"], [{"name": "姓名", "data_type": "C"}])


def test_every_invalid_element_is_named_with_its_line_in_chinese(app, city):
    content = document(
        good(),                                            # lines 3-18 (16 a piece)
        good("301001/000002", share_type="随便共享"),       # line 19 + 5: share_type
        good("301001/000003", date="2024年1月"),            # line 35 + 9: publish_date
        good("301001/000004", data_type="文字型"),          # line 51 + 13: item's data_type
        good("301001/000005").replace("    <title>居民健康档案</title>\n", "")
        .replace("<notes>", "<remark>x</remark><notes>"),  # line 67 + 1: unknown, no title
        good("301001/000006", share_type="none"))          # line 82: the schema's rules
    result = api_import(app, city["admin"], content)["result"]
    errors = {(e["row"], e["column"]): e["message"] for e in result["errors"]}
    # the schema's rules: the entry's line for a missing value, the value's line otherwise
    assert set(errors) == {(24, "<share_type>（共享类型）"), (44, "<publish_date>（发布日期）"),
                           (64, "<data_type>（数据类型）"), (68, "<remark>"),
                           (82, "不予共享依据"), (89, "开放属性")}, errors
    assert "随便共享" in errors[24, "<share_type>（共享类型）"]
    assert "unconditional（无条件共享）" in errors[24, "<share_type>（共享类型）"]
    assert "2024年1月" in errors[44, "<publish_date>（发布日期）"]
    assert "YYYY-MM-DD" in errors[44, "<publish_date>（发布日期）"]
    assert "文字型" in errors[64, "<data_type>（数据类型）"]
    assert "<title>" in errors[68, "<remark>"]
    for message in errors.values():
        assert _chinese(message), message
    assert _entries(city["provider"]) == {}


@pytest.mark.parametrize("content, line", [
    (document(good()).replace(b"</title>", b"</titel>"), 4),
    (document(good())[:-12], 18),
    (b"<?xml version='1.0'?>\n<catalog>\n  <entry/>\n</catalog>", None),
    (b"not xml at all", 1),
], ids=["mismatched tag", "cut short", "foreign root", "not xml"])
def test_a_malformed_or_foreign_document_is_a_chinese_error(app, city, content, line):
    message, = api_import(app, city["admin"], content, status=409)["error"]["upload"]
    assert _chinese(message), message
    if line:
        assert f"第 {line} 行" in message, message
    else:
        assert exchange_xml.NS in message
    # the page answers with the message, never a 500
    page = app.post("/organization/provider-dept/catalog/import", headers=_headers(city["admin"]),
                    data={"upload": (io.BytesIO(content), "catalog.xml")}, status=400)
    assert message.split("：")[0] in page.body
    assert _entries(city["provider"]) == {}


def test_a_document_type_declaration_is_refused(app, city):
    """No entities, no external references: a DOCTYPE is refused before anything is read."""
    content = (b'<?xml version="1.0"?>\n<!DOCTYPE catalog [<!ENTITY x SYSTEM '
               b'"file:///etc/passwd">]>\n' + document(good().replace("居民健康档案</title>",
                                                                      "&x;</title>"))
               .split(b"\n", 1)[1])
    answer = api_import(app, city["admin"], content, status=409)
    assert "文档类型声明" in answer["error"]["upload"][0] and _chinese(answer["error"]["upload"][0])
    assert "root:" not in json.dumps(answer)
    assert _entries(city["provider"]) == {}


def test_the_command_and_the_page_take_xml(app, cli, city, tmp_path):
    from ckanext.govshare.cli import govshare
    path = tmp_path / "目录.xml"
    path.write_bytes(document(good()))
    result = cli.invoke(govshare, ["import", str(path), "--department", "provider-dept"])
    assert result.exit_code == 0, result.output
    assert list(_entries(city["provider"])) == ["301001/000001"]
    bad = tmp_path / "bad.xml"
    bad.write_bytes(document(good("301001/000002", share_type="x")))
    result = cli.invoke(govshare, ["import", str(bad), "--department", "provider-dept"])
    assert result.exit_code == 1 and "row 8, <share_type>（共享类型）" in result.output
    page = app.post("/organization/provider-dept/catalog/import", headers=_headers(city["admin"]),
                    data={"upload": (io.BytesIO(document(good("301001/000003"))), "c.xml")})
    assert 'name="token"' in page.body
    assert "catalog.xml" in app.get("/organization/provider-dept/catalog/import",
                                    headers=_headers(city["admin"])).body

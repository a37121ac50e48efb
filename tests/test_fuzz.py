"""Every input: each govshare action and the catalog's package_create / package_update,
fuzzed from their schemas through the real action API, as a sysadmin and as department
administrators.

Values are drawn per field of the schema (logic/schema.py for the actions, the scheming
YAML for the catalog): wrong types, null, lists, dicts, empty and huge strings, strings
one past the field's declared length, NUL and control characters, lone surrogates, emoji,
invalid and impossible dates, bad ids, paging extremes. Whatever the input, the answer
is never a 500: success, or 400/403/404/409 with a JSON error, a 409 naming a field of
the input, and nothing of a refused call left in the tables.

The database is built once for the module (not per example): successes change it as a
user's calls would, refusals must not.
"""
from __future__ import annotations

import datetime
import itertools
import json
import os
import re
import traceback
from typing import Any

import pytest
from ckan import logic, model
from ckan.tests import factories, helpers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from conftest import create_entry, entry_data, make_department, make_user
from ckanext.govshare import inputs
from ckanext.govshare import schema as catalog
from ckanext.govshare.logic import schema

TODAY = datetime.date.today().isoformat()
FUTURE = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
# Bounded for `make test`; FUZZ_EXAMPLES=200 make test ARGS=tests/test_fuzz.py digs deeper.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 20))  # per govshare action
CATALOG_EXAMPLES = 2 * EXAMPLES                       # per catalog action
FIGURES = {"calls": 0, "accepted": 0, "refused": 0}
_codes = itertools.count(900001)

# ------------------------------------------------------------------ hostile values

STRANGE_TEXTS = [
    "", " ", "\t", "\x00", "a\x00b", "\ud800", "x\udfffy", "\x1b[31m", "\x7f", "\u0085",
    "line\nbreak", "😀" * 30, "👨‍👩‍👧‍👦", "\u202eevil", "tomorrow", "2026-02-30", "2024-13-01",
    "0000-00-00", "9999-12-31", "1" * 40 + "-01-01", "2024-01-01T25:00", "inf", "-inf", "nan",
    "Infinity", "-1", "1e309", "1" + "0" * 30, "0x10", "true", "null", "[]", "{}",
    "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd", "%00", "x" * 100_001,
    "字" * 5000,
]
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**30, -1, 0, 2**31, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(STRANGE_TEXTS),
    st.text(max_size=30),
    st.text(alphabet=st.characters(categories=["Cc", "Cs", "So", "Zl", "Cf"]), max_size=8),
    st.lists(st.one_of(st.text(max_size=5), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)


def _limits_of(validators: Any) -> list[int]:
    """The declared lengths of a field of logic/schema.py (its text validators say them)."""
    return [v.max_length for v in validators if hasattr(v, "max_length")]


def _limits_in_yaml(field: dict[str, Any]) -> list[int]:
    """The declared lengths of a scheming field: govshare_text(N) / govshare_long_text(N)."""
    return [int(n) for n in re.findall(r"govshare_(?:long_)?text\((\d+)\)",
                                       field.get("validators", ""))]


def _values(limits: list[int]) -> st.SearchStrategy[Any]:
    """Hostile values, and strings exactly at and one past the field's declared length."""
    at_limit = [st.just("字" * n) for n in limits] + [st.just("x" * (n + 1)) for n in limits]
    return st.one_of(HOSTILE, *at_limit)


# ------------------------------------------------------------------ the database

_world: dict[str, Any] = {}
_token_ids: dict[str, str] = {}


def _build_world() -> dict[str, Any]:
    sysadmin = factories.Sysadmin()
    as_sysadmin = {"user": sysadmin["name"], "ignore_auth": False}
    provider = make_department(name="fuzz-provider")
    requester = make_department(name="fuzz-requester")
    grantee = make_department(name="fuzz-grantee")
    make_department(name="data-authority")
    conditional = create_entry(
        as_sysadmin, provider, share_type="conditional", share_condition="限业务协同",
        usage_scope=["work_reference"], open_type="closed",
        resources=[{"url": "http://intra.example/a.csv", "name": "A"}])
    authorized = create_entry(as_sysadmin, provider, open_type="authorized",
                              open_condition="实名申请",
                              resources=[{"url": "http://intra.example/b.csv", "name": "B"}])
    not_shared = create_entry(as_sysadmin, provider, share_type="none", open_type="closed",
                              no_share_basis="《保守国家秘密法》")
    provider_admin = make_user(provider, "admin")
    requester_admin = make_user(requester, "admin")
    citizen = make_user()

    def call(user: dict[str, Any], action: str, **data: Any) -> dict[str, Any]:
        return helpers.call_action(action, {"user": user["name"], "ignore_auth": False}, **data)

    share_request = {"package_id": conditional["id"], "usage_scope": ["work_reference"],
                     "purpose": "核验低保对象家庭收入", "basis": "《社会救助暂行办法》第十一条",
                     "period_start": TODAY, "period_end": FUTURE, "contact": "张三 0392-1234567"}
    refused = call(requester_admin, "govshare_request_create", **share_request)
    call(provider_admin, "govshare_request_refuse", id=refused["id"], reason="依据不足")
    pending = call(requester_admin, "govshare_request_create", **share_request)
    application = {"package_id": authorized["id"], "purpose": "交通出行研究",
                   "scenario": "学术研究", "security_measures": "专人专机",
                   "commitment_accepted": True, "period_end": FUTURE, "contact": "李四"}
    applied = call(citizen, "govshare_application_create", **application)
    grant = call(sysadmin, "govshare_grant_create", package_id=conditional["id"],
                 grantee_org=grantee["name"], valid_from=TODAY, valid_until=FUTURE,
                 reason="业务协同")
    case = call(sysadmin, "govshare_case_create", package_id=not_shared["id"],
                description="部门需要该数据")
    error_report = {"package_id": conditional["id"], "location": "共享条件",
                    "description": "共享条件与文件不符"}
    reported = call(requester_admin, "govshare_error_report_create", **error_report)
    announced = call(sysadmin, "govshare_announcement_create", title="通知", body="正文")
    wanted = {"title": "公交实时位置", "description": "全市公交车辆位置", "wanted_fields": "线路、位置",
              "purpose": "候车提醒"}
    demanded = call(citizen, "govshare_demand_create", **wanted)
    call(sysadmin, "govshare_demand_route", id=demanded["id"], department=provider["name"])
    showcase = {"title": "候车宝", "description": "公交到站提醒", "url": "https://app.example/",
                "entries": [conditional["id"]]}
    showcased = call(requester_admin, "govshare_showcase_create", **showcase)
    users = {"sysadmin": sysadmin, "provider_admin": provider_admin,
             "requester_admin": requester_admin}
    tokens = {kind: factories.APIToken(user=user["name"]) for kind, user in users.items()}
    _token_ids.update({t["token"]: t["id"] for t in tokens.values()})
    ids = [e["id"] for e in (conditional, authorized, not_shared, refused, pending, applied,
                             grant, case, reported, announced, demanded,
                             showcased, provider, requester, grantee, sysadmin,
                             citizen)]
    ids += [r["id"] for r in conditional["resources"] + authorized["resources"]]
    return {
        "provider": provider, "conditional": conditional,
        # ids of every kind, to be given where another kind is expected
        "ids": st.sampled_from(ids + [n["name"] for n in (conditional, provider, citizen)]),
        "tokens": {kind: t["token"] for kind, t in tokens.items()},
        "bases": {
            "govshare_grant_create": {"package_id": conditional["id"], "grantee_org": grantee["name"],
                                      "valid_from": TODAY, "valid_until": FUTURE, "reason": "业务协同"},
            "govshare_grant_revoke": {"id": grant["id"], "reason": "期满"},
            "govshare_grant_list": {"package_id": conditional["id"], "active": True},
            "govshare_request_create": share_request,
            "govshare_request_approve": {"id": pending["id"], "comment": "同意"},
            "govshare_request_refuse": {"id": pending["id"], "reason": "依据不足"},
            "govshare_request_withdraw": {"id": pending["id"]},
            "govshare_request_show": {"id": pending["id"]},
            "govshare_request_list": {"limit": 10, "offset": 0, "overdue": False},
            "govshare_application_create": application,
            "govshare_application_approve": {"id": applied["id"], "comment": "同意"},
            "govshare_application_refuse": {"id": applied["id"], "reason": "材料不全"},
            "govshare_application_precheck": {"id": applied["id"]},
            "govshare_case_create": {"package_id": conditional["id"], "request_id": refused["id"],
                                     "description": "协商"},
            "govshare_case_resolve": {"id": case["id"], "outcome": "同意共享"},
            "govshare_case_show": {"id": case["id"]},
            "govshare_usage_list": {"limit": 10},
            "govshare_error_report_create": error_report,
            "govshare_error_report_resolve": {"id": reported["id"], "outcome": "corrected",
                                              "explanation": "已更正"},
            "govshare_error_report_show": {"id": reported["id"]},
            "govshare_error_report_list": {"limit": 10, "overdue": False, "mine": True},
            "govshare_announcement_update": {"id": announced["id"], "title": "通知", "body": "正文"},
            "govshare_announcement_delete": {"id": announced["id"]},
            "govshare_announcement_list": {"limit": 10, "offset": 0},
            "govshare_demand_create": wanted,
            "govshare_demand_route": {"id": demanded["id"], "department": provider["name"]},
            "govshare_demand_reply": {"id": demanded["id"], "outcome": "will_open",
                                      "answer": "下月开放", "package_id": conditional["id"]},
            "govshare_demand_show": {"id": demanded["id"]},
            "govshare_demand_list": {"limit": 10, "mine": True, "state": "routed"},
            "govshare_showcase_create": showcase,
            "govshare_showcase_approve": {"id": showcased["id"], "reason": "内容属实"},
            "govshare_showcase_reject": {"id": showcased["id"], "reason": "链接无法访问"},
            "govshare_showcase_show": {"id": showcased["id"]},
            "govshare_showcase_list": {"package_id": conditional["id"], "limit": 10},
        },
    }


@pytest.fixture
def world(reset_db, migrate_db_for, reset_index):
    """One database for the module, built by its first test."""
    if not _world:
        reset_db()
        reset_index()
        migrate_db_for("activity")
        migrate_db_for("govshare")
        migrate_db_for("harvest")
        _world.update(_build_world())
    return _world


_state_query: list[Any] = []


def _state() -> list[tuple[Any, ...]]:
    """Row counts and a digest of each table a call may write: a refused call changes none
    (activities, whose rows are whole entries, are only counted)."""
    with model.meta.engine.connect() as connection:
        if not _state_query:
            tables = ["package", "resource", "tag", "package_tag", "member"] + [
                name for (name,) in connection.execute(text(
                    "SELECT tablename FROM pg_tables WHERE tablename LIKE 'govshare%'"))]
            _state_query.append(text(" UNION ALL ".join(
                [f"SELECT '{t}', count(*), md5(coalesce(string_agg(t::text, ',' "
                 f"ORDER BY t::text), '')) FROM \"{t}\" t" for t in tables]
                + ["SELECT 'activity', count(*), '' FROM activity"])))
        return [tuple(row) for row in connection.execute(_state_query[0])]


def _post(app: Any, token: str, action: str, data: Any) -> Any:
    return app.post(f"/api/3/action/{action}", data=json.dumps(data),
                    headers={"Authorization": token, "Content-Type": "application/json"})


def _traceback(token: str, action: str, data: dict[str, Any]) -> str:
    """The server error again, called directly, to show where it comes from."""
    user = model.Session.query(model.User).join(
        model.ApiToken, model.ApiToken.user_id == model.User.id).filter(
        model.ApiToken.id == _token_ids[token]).one()
    try:
        helpers.call_action(action, {"user": user.name, "ignore_auth": False}, **data)
    except Exception as error:  # noqa: BLE001 - shown, not handled
        frames = [f"{f.filename.rpartition('site-packages/')[2]}:{f.lineno} {f.name}"
                  for f in traceback.extract_tb(error.__traceback__)
                  if "sqlalchemy" not in f.filename and "psycopg2" not in f.filename]
        return "\n".join(frames[-12:] + [repr(error)[:600]])
    finally:
        model.Session.rollback()
    return "(not repeated when called directly)"


def check_call(app: Any, token: str, action: str, data: dict[str, Any],
               fields: set[str]) -> Any:
    """One call: never a 500; a refusal is a JSON error naming a field, with nothing saved."""
    before = _state()
    response = _post(app, token, action, data)
    FIGURES["calls"] += 1
    shown = repr(data)[:400]
    assert response.status_code != 500, f"{action} {shown}: {_traceback(token, action, data)}"
    if response.status_code == 200:
        FIGURES["accepted"] += 1
        return response
    FIGURES["refused"] += 1
    assert response.status_code in (400, 403, 404, 409), f"{action} {shown}: {response.status_code}"
    body = response.json
    assert body["success"] is False
    if response.status_code == 409:
        named = set(body["error"]) - {"__type", "message"}
        given = {k if inputs.storable(k) else ascii(k) for k in data}  # as the error shows them
        assert named & (given | fields), f"{action} {shown}: {body['error']}"
    assert _state() == before, f"{action} {shown}: refused, yet the tables changed"
    return response


# ------------------------------------------------------------------ the govshare actions

def govshare_actions() -> set[str]:
    logic.get_action("package_show")  # fills the registry
    return {name for name in logic._actions if name.startswith("govshare_")}


def test_every_govshare_action_has_a_schema_to_fuzz(world):
    assert govshare_actions() == set(schema.ACTIONS), (
        "each govshare action declares its input schema in logic/schema.py ACTIONS")


@pytest.mark.parametrize("action", sorted(schema.ACTIONS))
def test_govshare_action_fuzzed_from_its_schema(world, app, action):
    declared = schema.ACTIONS[action]()
    base = world["bases"].get(action, {})
    fields = sorted(set(declared) | set(base))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def fuzz(draw: Any) -> None:
        data = dict(base)
        user = draw.draw(st.sampled_from(sorted(world["tokens"])), "user")
        if fields:
            for field in draw.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3,
                                            unique=True), "fields"):
                if draw.draw(st.integers(0, 5), "drop") == 0:
                    data.pop(field, None)
                else:
                    data[field] = draw.draw(st.one_of(
                        _values(_limits_of(declared.get(field, []))), world["ids"]), field)
        if draw.draw(st.integers(0, 4), "extra") == 0:
            data[draw.draw(st.sampled_from(["extra", "x\x00", "\ud800", "__junk"]))] = \
                draw.draw(HOSTILE)
        check_call(app, world["tokens"][user], action, data, set(declared))

    fuzz()


# ------------------------------------------------------------------ the catalog

def _catalog_base(world: dict[str, Any]) -> dict[str, Any]:
    return entry_data(
        world["provider"], resource_code=f"301001/{next(_codes):06d}", provider_unit="数据科",
        format_class="spreadsheet", format_type="xlsx", related_codes=["101001/000001"],
        record_count="10", storage_size_gb="1.5", tag_string="人口,户籍",
        info_items=[{"name": "姓名", "data_type": "C", "length": "50", "open": "false"}],
        resources=[{"url": "http://intra.example/c.csv", "name": "C", "format": "CSV"}])


def _mutated(draw: Any, data: dict[str, Any], ids: st.SearchStrategy[str]) -> dict[str, Any]:
    fields = {f["field_name"]: f for f in catalog.dataset_fields()}
    items = {f["field_name"]: f for f in catalog.dataset_field("info_items")["repeating_subfields"]}
    resource = {f["field_name"]: f for f in catalog.resource_fields()}
    for name in draw.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3,
                                   unique=True), "fields"):
        if name == "info_items" and draw.draw(st.booleans()):
            sub = draw.draw(st.sampled_from(sorted(items)), "item field")
            data["info_items"] = [{**data["info_items"][0],
                                   sub: draw.draw(_values(_limits_in_yaml(items[sub])), sub)}]
        elif draw.draw(st.integers(0, 5), "drop") == 0:
            data.pop(name, None)
        else:
            data[name] = draw.draw(st.one_of(_values(_limits_in_yaml(fields[name])), ids), name)
    if draw.draw(st.integers(0, 3), "resource") == 0:
        sub = draw.draw(st.sampled_from(sorted(resource)), "resource field")
        data["resources"] = [{**data["resources"][0],
                              sub: draw.draw(_values(_limits_in_yaml(resource[sub])), sub)}]
    if draw.draw(st.integers(0, 4), "extra") == 0:
        data[draw.draw(st.sampled_from(["extra", "x\x00", "\ud800", "tags", "groups"]))] = \
            draw.draw(HOSTILE)
    return data


def _catalog_fields() -> set[str]:
    return {f["field_name"] for f in catalog.dataset_fields()} | {"resources", "id", "private"}


@settings(max_examples=CATALOG_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(draw=st.data())
def _fuzz_create(world: dict[str, Any], app: Any, draw: Any) -> None:
    user = draw.draw(st.sampled_from(["sysadmin", "provider_admin"]), "user")
    check_call(app, world["tokens"][user], "package_create",
               _mutated(draw, _catalog_base(world), world["ids"]), _catalog_fields())


def test_package_create_fuzzed_from_the_catalog_schema(world, app):
    _fuzz_create(world, app)


@settings(max_examples=CATALOG_EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(draw=st.data())
def _fuzz_update(world: dict[str, Any], app: Any, draw: Any) -> None:
    target = world["conditional"]
    data = {**_catalog_base(world), "id": target["id"], "name": target["name"],
            "resource_code": target["resource_code"], "share_type": "conditional",
            "share_condition": "限业务协同", "usage_scope": ["work_reference"], "open_type": "closed"}
    user = draw.draw(st.sampled_from(["sysadmin", "provider_admin"]), "user")
    check_call(app, world["tokens"][user], "package_update", _mutated(draw, data, world["ids"]),
               _catalog_fields())


def test_package_update_fuzzed_from_the_catalog_schema(world, app):
    _fuzz_update(world, app)


# ------------------------------------------------------------------ what the fuzzing found

FOUND = [
    # (action, user, input, field named in the 409) — each was a 500 or silently stored
    ("package_create", "sysadmin", {"publish_date": "2026-02-30"}, "publish_date"),
    ("package_create", "sysadmin", {"publish_date": "tomorrow"}, "publish_date"),
    ("package_create", "sysadmin", {"resource_class": ["department"]}, "resource_class"),
    ("package_create", "sysadmin", {"related_codes": 5}, "related_codes"),
    ("package_create", "sysadmin", {"record_count": "-1"}, "record_count"),
    ("package_create", "sysadmin", {"record_count": ""}, None),
    ("package_create", "sysadmin", {"title": "x" * 100_000}, "title"),
    ("package_create", "sysadmin", {"provider_unit": "x" * 100_000}, "provider_unit"),
    ("package_create", "sysadmin", {"storage_size_gb": "inf"}, "storage_size_gb"),
    ("package_create", "sysadmin", {"storage_size_gb": "nan"}, "storage_size_gb"),
    ("package_create", "sysadmin", {"title": "标题\x1b[31m"}, "title"),
    ("package_create", "sysadmin", {"notes": "摘要\x00"}, "notes"),
    ("package_create", "sysadmin", {"extra_field": "\ud800"}, "extra_field"),
    # found by the fuzzing itself (shrunk examples)
    ("package_create", "sysadmin", {"owner_org": True}, "owner_org"),
    ("package_create", "provider_admin", {"owner_org": False}, "owner_org"),
    ("package_create", "sysadmin", {"resources": [{"url": True}]}, "resources"),
    ("package_create", "sysadmin", {"groups": None}, "groups"),
    ("package_create", "sysadmin", {"info_items": [{"name": None, "data_type": "C"}]},
     "info_items"),
    ("govshare_request_create", "requester_admin", {"purpose": None}, "purpose"),
    ("govshare_request_create", "requester_admin", {"purpose": ["a", "b"]}, "purpose"),
    ("govshare_request_create", "requester_admin", {"contact": 5}, "contact"),
    ("govshare_request_create", "requester_admin", {"basis": True}, "basis"),
    ("govshare_request_create", "requester_admin", {"purpose": "x" * 100_000}, "purpose"),
    ("govshare_request_approve", "sysadmin", {"id": ["x"]}, "id"),
    ("govshare_request_approve", "sysadmin", {"comment": ["a", "b"]}, "comment"),
    ("govshare_request_show", "sysadmin", {"id": "no-such-request"}, "id"),
    ("govshare_request_show", "sysadmin", {"id": 5}, "id"),
    ("govshare_grant_revoke", "sysadmin", {"id": {"a": 1}}, "id"),
    ("govshare_request_list", "sysadmin", {"limit": ""}, "limit"),
    ("govshare_request_list", "provider_admin", {"limit": []}, "limit"),
    ("govshare_request_list", "sysadmin", {"offset": 10**30}, "offset"),
    ("govshare_case_create", "sysadmin", {"request_id": ""}, "package_id"),
    ("govshare_case_create", "sysadmin", {"request_id": []}, "request_id"),
]


@pytest.mark.parametrize("action,user,change,field", FOUND)
def test_what_the_fuzzing_found(world, app, action, user, change, field):
    if action == "package_create":
        data = {**_catalog_base(world), **change}
        fields = _catalog_fields()
    else:
        data = {**world["bases"].get(action, {}), **change}
        fields = set(schema.ACTIONS[action]())
    response = check_call(app, world["tokens"][user], action, data, fields)
    if field is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 409
        assert field in response.json["error"]


def test_messages_are_in_the_users_language(world, app):
    error = _post(app, world["tokens"]["requester_admin"], "govshare_request_create",
                  {**world["bases"]["govshare_request_create"], "purpose": "x" * 3000}).json["error"]
    assert error["purpose"] == ["最多 2000 个字符"]


def test_the_fuzzing_ran(world):
    """The figures of the issue's closing note (shown with -s)."""
    print(f"\nfuzz: {FIGURES['calls']} calls, {FIGURES['accepted']} accepted, "
          f"{FIGURES['refused']} refused, 0 server errors")
    assert FIGURES["calls"] >= len(schema.ACTIONS) * EXAMPLES


@pytest.mark.parametrize("user", ["anonymous", "provider_admin", "sysadmin"])
@pytest.mark.parametrize("action,data", [
    ("datastore_search", {"resource_id": "_table_metadata"}),
    ("package_collaborator_list", {"id": "conditional"}),
])
def test_core_reads_that_answered_500(world, app, user, action, data):
    data = {k: world["conditional"]["id"] if v == "conditional" else v for k, v in data.items()}
    headers = {"Content-Type": "application/json"}
    if user != "anonymous":
        headers["Authorization"] = world["tokens"][user]
    response = app.post(f"/api/3/action/{action}", data=json.dumps(data), headers=headers)
    assert response.status_code in (200, 403, 404, 409), (
        _traceback(world["tokens"][user], action, data) if user != "anonymous" else "")


def test_false_and_zero_are_kept_blank_is_left_out(world, app):
    """The checks that refuse the wrong types keep the right values: false, 0, and a form's
    empty string for an optional field."""
    data = {**_catalog_base(world), "record_count": 0, "storage_size_gb": "",
            "info_items": [{"name": "姓名", "data_type": "C", "length": 0, "open": False},
                           {"name": "住址", "data_type": "C", "open": ""}]}
    created = check_call(app, world["tokens"]["sysadmin"], "package_create", data,
                         _catalog_fields()).json["result"]
    assert int(created["record_count"]) == 0
    assert "storage_size_gb" not in created
    assert created["info_items"][0]["open"] is False
    assert int(created["info_items"][0]["length"]) == 0
    assert "open" not in created["info_items"][1] or created["info_items"][1]["open"] is False

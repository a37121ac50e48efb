"""Every catalog rule of shared/spec/catalog-metadata.md, accepted and refused."""
from __future__ import annotations

import datetime

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import helpers

from conftest import create_entry, make_department

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def refused(context, org, **kwargs) -> dict:
    """Create an entry that must be refused; return the error dict and check nothing was saved."""
    before = model.Session.query(model.Package).count()
    with pytest.raises(tk.ValidationError) as err:
        create_entry(context, org, **kwargs)
    model.Session.rollback()
    assert model.Session.query(model.Package).count() == before
    return err.value.error_dict


def test_valid_entry_is_saved_with_all_fields(sysadmin_context, department):
    pkg = create_entry(
        sysadmin_context, department,
        provider_unit="数据科",
        share_type="conditional", share_condition="仅限社保业务",
        usage_scope=["work_reference", "data_verification"],
        open_type="authorized", open_condition="实名申请",
        format_class="spreadsheet", format_type="xlsx",
        info_items=[{"name": "姓名", "data_type": "C", "length": "50"},
                    {"name": "身份证号", "data_type": "C", "length": "18", "share_type": "none", "open": "false"}],
        related_codes=["101001/000001"], record_count="1200", storage_size_gb="0.5",
    )
    shown = helpers.call_action("package_show", id=pkg["id"])
    assert shown["share_type"] == "conditional"
    assert shown["usage_scope"] == ["work_reference", "data_verification"]
    assert [i["name"] for i in shown["info_items"]] == ["姓名", "身份证号"]
    assert shown["info_items"][1]["share_type"] == "none"
    assert shown["record_count"] == "1200" or shown["record_count"] == 1200
    assert shown["name"] == shown["resource_code"].replace("/", "-")


@pytest.mark.parametrize("field", ["title", "notes", "resource_code", "resource_class",
                                   "share_type", "share_method", "open_type",
                                   "update_frequency", "publish_date", "format_class"])
def test_required_fields(sysadmin_context, department, field):
    errors = refused(sysadmin_context, department, **{field: ""})
    assert field in errors


def test_none_needs_basis(sysadmin_context, department):
    errors = refused(sysadmin_context, department, share_type="none", open_type="closed")
    assert list(errors) == ["no_share_basis"]
    assert create_entry(sysadmin_context, department, share_type="none", open_type="closed",
                        no_share_basis="《中华人民共和国保守国家秘密法》")


def test_conditional_needs_condition_and_scope(sysadmin_context, department):
    errors = refused(sysadmin_context, department, share_type="conditional")
    assert set(errors) == {"share_condition", "usage_scope"}


def test_base_must_be_unconditional(sysadmin_context, department):
    errors = refused(sysadmin_context, department, resource_class="base",
                     base_category="population", resource_code="101001/000009",
                     share_type="conditional", share_condition="x", usage_scope=["work_reference"])
    assert list(errors) == ["share_type"]


def test_base_needs_category(sysadmin_context, department):
    errors = refused(sysadmin_context, department, resource_class="base",
                     resource_code="101001/000010")
    assert list(errors) == ["base_category"]


def test_theme_needs_themes(sysadmin_context, department):
    errors = refused(sysadmin_context, department, resource_class="theme",
                     resource_code="201001/000011")
    assert list(errors) == ["themes"]


def test_authorized_needs_open_condition(sysadmin_context, department):
    errors = refused(sysadmin_context, department, open_type="authorized")
    assert list(errors) == ["open_condition"]


def test_not_shared_cannot_be_open(sysadmin_context, department):
    errors = refused(sysadmin_context, department, share_type="none",
                     no_share_basis="法律", open_type="general")
    assert list(errors) == ["open_type"]


@pytest.mark.parametrize("code", ["101001", "1010/000001", "401001/000001", "10100a/1", "101001/"])
def test_resource_code_format(sysadmin_context, department, code):
    errors = refused(sysadmin_context, department, resource_code=code)
    assert "resource_code" in errors


def test_resource_code_class_digit(sysadmin_context, department):
    errors = refused(sysadmin_context, department, resource_code="201001/000001")
    assert list(errors) == ["resource_code"]


def test_resource_code_unique(sysadmin_context, department):
    first = create_entry(sysadmin_context, department, resource_code="301001/000777")
    errors = refused(sysadmin_context, department, resource_code="301001/000777", name="other-name")
    assert "resource_code" in errors and first["name"] in errors["resource_code"][0]
    # updating the entry itself keeps its own code
    helpers.call_action("package_patch", dict(sysadmin_context), id=first["id"], title="改名")


def test_publish_date_not_in_future(sysadmin_context, department):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    assert list(refused(sysadmin_context, department, publish_date=tomorrow)) == ["publish_date"]


def test_structured_formats_need_info_items(sysadmin_context, department):
    errors = refused(sysadmin_context, department, format_class="database")
    assert "info_items" in errors


def test_item_share_type_may_be_stricter_never_looser(sysadmin_context, department):
    items = [{"name": "姓名", "data_type": "C", "share_type": "unconditional"}]
    errors = refused(sysadmin_context, department, share_type="conditional",
                     share_condition="x", usage_scope=["work_reference"], info_items=items)
    assert "info_items" in errors
    stricter = [{"name": "姓名", "data_type": "C", "share_type": "none"}]
    assert create_entry(sysadmin_context, department, info_items=stricter)


def test_item_cannot_be_open_in_closed_entry(sysadmin_context, department):
    items = [{"name": "姓名", "data_type": "C", "open": "true"}]
    errors = refused(sysadmin_context, department, open_type="closed", info_items=items)
    assert "info_items" in errors


def test_info_item_data_type_is_a_code(sysadmin_context, department):
    items = [{"name": "姓名", "data_type": "X"}]
    assert "info_items" in refused(sysadmin_context, department, info_items=items)


@pytest.mark.parametrize("field,value", [("record_count", "-1"), ("record_count", "many"),
                                         ("storage_size_gb", "-0.5"), ("storage_size_gb", "big")])
def test_counts_are_non_negative_numbers(sysadmin_context, department, field, value):
    assert list(refused(sysadmin_context, department, **{field: value})) == [field]


def test_choice_fields_refuse_unknown_codes(sysadmin_context, department):
    errors = refused(sysadmin_context, department, share_type="sometimes", update_frequency="hourly")
    assert {"share_type", "update_frequency"} <= set(errors)


def test_messages_name_the_field_in_chinese(sysadmin_context, department):
    with helpers.changed_config("ckan.locale_default", "zh_Hans_CN"):
        errors = refused(sysadmin_context, department, share_type="none", open_type="closed")
    assert "不予共享依据" in errors["no_share_basis"][0]


def test_department_code_check_digit(clean_db):
    good = make_department()
    assert good["department_code"]
    bad = good["department_code"][:-1] + ("0" if good["department_code"][-1] != "0" else "1")
    with pytest.raises(tk.ValidationError) as err:
        make_department(department_code=bad)
    assert list(err.value.error_dict) == ["department_code"]
    with pytest.raises(tk.ValidationError):
        make_department(region_level="province")


def test_codes_the_code_decides_on_are_choices_of_the_schema(clean_db, monkeypatch):
    from ckanext.govshare import codes
    codes.check()  # as at plugin load
    monkeypatch.setitem(codes.USED, "share_type", (*codes.SHARE_STRICTNESS, "renamed"))
    with pytest.raises(RuntimeError, match="share_type: renamed"):
        codes.check()

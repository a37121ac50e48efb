"""ckanext-harvest's source actions act on harvest sources, never on catalog entries.

They proxy package_show/update/delete with the id as given; before govshare kept them to
sources, a sysadmin's ``GET /harvest/delete/<entry>`` deleted that catalog entry.
"""
from __future__ import annotations

import pytest
from ckan import model
from ckan.tests import factories, helpers

from ckanext.govshare.logic.action.harvest import SOURCE_ACTIONS

from conftest import create_entry, make_department

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.fixture
def entry(sysadmin_context):
    return create_entry(sysadmin_context, make_department())


def _still_the_entry(entry) -> None:
    package = model.Package.get(entry["id"])
    model.Session.refresh(package)
    assert (package.state, package.type, package.title) == ("active", "dataset", entry["title"])


@pytest.mark.parametrize("name", (*SOURCE_ACTIONS, "harvest_source_show_status"))
def test_a_source_action_named_with_an_entry_answers_not_found(sysadmin_context, entry, name):
    with pytest.raises(helpers.logic.NotFound):
        helpers.call_action(name, dict(sysadmin_context), id=entry["name"],
                            title="改名", url="http://example.com/catalog.ttl")
    _still_the_entry(entry)


def test_the_delete_page_does_not_delete_an_entry(app, sysadmin_context, entry):
    token = factories.APIToken(user=sysadmin_context["user"])["token"]
    response = app.get(f"/harvest/delete/{entry['name']}", headers={"Authorization": token},
                       follow_redirects=False)
    assert response.status_code == 404
    _still_the_entry(entry)


def test_a_real_source_is_still_shown_and_deleted(sysadmin_context):
    source = helpers.call_action("harvest_source_create", dict(sysadmin_context),
                                 name="province", title="省平台",
                                 url="http://province.example.com/catalog.ttl",
                                 source_type="govshare_dcat", owner_org=make_department()["id"])
    shown = helpers.call_action("harvest_source_show", dict(sysadmin_context), id=source["id"])
    assert shown["url"] == "http://province.example.com/catalog.ttl"
    helpers.call_action("harvest_source_delete", dict(sysadmin_context), id=source["id"])
    assert model.Package.get(source["id"]).state == "deleted"

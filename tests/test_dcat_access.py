"""Issue 12 for each kind of user (the access world of tests/access_fixtures.py): the DCAT
output carries no URL the user may not have, and ``package_list`` (so ``ckanapi dump
datasets --all``) lists every entry the user may see, by the search rule."""
from __future__ import annotations

from typing import Any, Optional

import pytest
from ckan import model
from ckanapi import NotAuthorized, TestAppCKAN
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT

from access_fixtures import (  # noqa: F401 (site_world: a fixture used by name)
    COMBINED, PUBLIC_KINDS, SHARING, SYSADMIN, USER_KINDS, World, expected, site_world)

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")


@pytest.fixture
def with_plugins():
    """The plugins are loaded once per class by ``site_world``."""
    yield


@pytest.fixture
def app(site_world):
    return site_world[0]


@pytest.fixture
def world(site_world) -> World:
    return site_world[1]


def catalog_pages(app, world: World, kind: str) -> list[str]:
    """The catalog's pages as ``kind`` gets them; none where the site sends it to log in
    (public users on the sharing site)."""
    bodies, url = [], "/catalog.ttl"
    while url:
        response = app.get(url, headers=world.headers(kind), follow_redirects=False)
        if world.role == SHARING and kind in PUBLIC_KINDS:
            assert response.status_code == 302 and "/user/login" in response.headers["Location"]
            return []
        assert response.status_code == 200, response.body[:300]
        bodies.append(response.body)
        following = next(Graph().parse(data=response.body, format="turtle")
                         .objects(None, HYDRA.nextPage), None)
        url = str(following)[str(following).index("/catalog"):] if following else None
    return bodies


def rules(world: World, kind: str) -> list[tuple[Any, Optional[bool], Optional[bool]]]:
    return [(e, *expected(kind, e.share_type, e.open_type, world.role, e.catalog_state))
            for e in world.entries]


class Roles:
    role: str

    @pytest.mark.parametrize("kind", USER_KINDS)
    def test_dcat_output_carries_no_url_the_user_may_not_have(self, app, world, kind):
        headers = world.headers(kind)
        texts = catalog_pages(app, world, kind)
        for entry, sees, _ in rules(world, kind):
            response = app.get(f"/dataset/{entry.name}.ttl", headers=headers,
                               follow_redirects=False)
            assert response.status_code == (200 if sees else 404) or (
                not sees and response.status_code == 302), (entry.code, kind)
            if sees:
                texts.append(response.body)
        text = "\n".join(texts)
        for entry, sees, gets_data in rules(world, kind):
            if gets_data is None:
                continue
            marker = f"newlnk{entry.code}q"  # the linked resource's current URL
            if gets_data:
                assert marker in text, (entry.code, kind)
            else:
                assert not [s for s in entry.secrets if s in text], (entry.code, kind)
        g = Graph()
        for body in texts:
            g.parse(data=body, format="turtle")
        distributions = set(g.objects(None, DCAT.distribution))
        assert all(g.value(d, DCAT.accessURL) is not None for d in distributions)

    @pytest.mark.parametrize("kind", USER_KINDS)
    def test_package_list_gives_ckanapi_what_search_finds(self, app, world, kind):
        client = TestAppCKAN(app, world.tokens.get(kind))
        if world.role == SHARING and kind in PUBLIC_KINDS:
            with pytest.raises(NotAuthorized):  # the sharing site is for departments only
                client.call_action("package_list", {})
            return
        # what `ckanapi dump datasets --all` asks (ckanapi/cli/dump.py), then shows each
        names = client.call_action("package_list", {"include_private": False,
                                                    "include_drafts": False,
                                                    "include_deleted": False})
        found = client.call_action("package_search", {"rows": 1000, "include_private": True})
        assert sorted(names) == sorted(p["name"] for p in found["results"])
        visible = {e.name for e, sees, _ in rules(world, kind) if sees}
        assert visible <= set(names)
        assert not {e.name for e, sees, _ in rules(world, kind) if sees is False} & set(names)
        if kind == SYSADMIN:
            assert sorted(names) == sorted(
                n for (n,) in model.Session.query(model.Package.name)
                .filter(model.Package.state == "active"))
        for name in names:
            assert client.call_action("package_show", {"id": name})["name"] == name
        page = client.call_action("package_list", {"limit": 2, "offset": 1})
        assert page == sorted(names)[1:3]


@pytest.mark.ckan_config("govshare.site_role", COMBINED)
class TestCombined(Roles):
    role = COMBINED


@pytest.mark.ckan_config("govshare.site_role", SHARING)
class TestSharing(Roles):
    role = SHARING

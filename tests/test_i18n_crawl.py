"""Every page each kind of user reaches is in Chinese (issue 11, item 1).

On a combined site (the open site's pages and the sharing site's), for each kind of user
(anonymous, a citizen, a department member, a department admin, the authority, a sysadmin) the
crawl starts from the home page and follows every link to this site, plus the error pages and
the validation errors of a few API actions. To stay fast it opens a URL rule (with its query
parameter, if one) once per user and at most ``PER_ROUTE`` times over all users.
It fails on user interface text outside Chinese: visible text and the attributes a user meets
(title, placeholder, aria-label, alt, button values) holding a Latin word that is neither a
data value of the world (names, titles, codes, formats, ...) nor a name the glossary allows
(glossary.yaml: CKAN, API, CSV, URL, ...).

The Flask test client renders the pages; JavaScript-built strings come from the catalog that
tests/test_i18n.py checks (/api/i18n/zh_Hans_CN).
"""
from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional
from urllib.parse import parse_qsl, urlsplit

import lxml.html
import pytest
from ckan import model
from ckan.tests import factories, helpers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ckanext.govshare import glossary

from access_fixtures import World, add_entry, loaded_site
from conftest import assume_calendar, make_department

PER_ROUTE = 1        # pages per URL rule (and query parameter) over all users, besides starts
MAX_PAGES = 50       # per user, a bound in case a page links to endless new rules

# CKAN's localised dates ("十二月 1, 2026, 16:28 (+0800)", moment.js's "2026年12月1日, 16:28
# (UTC+08:00)"), where the portal shows 2026-12-01 16:28 (dates.py).
LOCALISED_DATE = re.compile(r"[一二三四五六七八九十]+月 \d|\(\+\d{4}\)|UTC[+-]\d")

DEFAULT_LANGUAGE = "zh_Hans_CN"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")

# The DataStore's column types, which its data dictionary shows and offers by their codes.
DATASTORE_TYPES = ("text", "numeric", "timestamp", "int4", "int8", "float8", "bool", "date",
                   "time", "json")
CHECKED_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
NOT_UI = {"script", "style", "noscript", "code", "pre", "kbd", "samp", "textarea", "svg",
          "template", "head"}

# What the crawl does not open: leaving the session or the language, files and data
# formats, and the API (checked below through its error messages).
LANGUAGE_PREFIX = re.compile(r"^/(?:en|zh_Hans_CN)(?=/|$)")
SKIPPED = re.compile(
    r"^/user/_logout|^/api/|^/webassets/|^/base/|^/uploads/"
    r"|/download(?:/|$)|^/datastore/dump/|^/feeds/|^/catalog\.|^/vocab/"
    r"|\.(?:ttl|rdf|jsonld|xml|n3|csv|xlsx|json|png|jpg|svg|css|js|ico|pdf|zip)$")


@dataclass
class Crawl:
    app: Any
    headers: dict[str, str]
    data_values: list[str]
    language: str = "zh_Hans_CN"                        # of the pages: their links keep it
    opened: Counter = field(default_factory=Counter)  # routes opened, over all users
    seen_routes: set[tuple[str, ...]] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    pages: int = 0
    english: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, int]] = field(default_factory=list)

    def route_key(self, path: str, query: str) -> tuple[str, ...]:
        """The URL rule, and the query parameter when there is one (a page's tabs); searches
        with several parameters are one kind of page."""
        adapter = self.app.flask_app.url_map.bind("test.ckan.net")
        try:
            rule, _ = adapter.match(path, method="GET", return_rule=True)
            name = rule.rule
        except (HTTPException, RequestRedirect):
            name = path
        params = sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)})
        return (name, *params) if len(params) <= 1 else (name, "…")

    def visit(self, starts: tuple[str, ...]) -> None:
        """The start pages, then the pages they link to, breadth first."""
        queue = list(starts)
        while queue and self.pages < len(starts) + MAX_PAGES:
            url = queue.pop(0)
            if url in self.seen:
                continue
            self.seen.add(url)
            response = self.app.get(url, headers=self.headers, status=None)
            self.pages += 1
            if response.status_code >= 500:
                self.errors.append((url, response.status_code))
            if not response.content_type.startswith("text/html"):
                continue
            page = lxml.html.fromstring(response.body)
            self.check(url, page)
            queue.extend(self.links(page))

    def links(self, page: Any) -> Iterator[str]:
        for href in page.xpath("//a/@href"):
            parts = urlsplit(href)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "test.ckan.net"):
                continue
            prefix = LANGUAGE_PREFIX.match(parts.path)
            if (prefix.group()[1:] if prefix else DEFAULT_LANGUAGE) != self.language:
                continue
            path = parts.path[prefix.end():] or "/" if prefix else parts.path
            if not path.startswith("/") or SKIPPED.search(path):
                continue
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            if url in self.seen:
                continue
            key = (self.language, *self.route_key(path, parts.query))
            if key in self.seen_routes or self.opened[key] >= PER_ROUTE:
                continue
            self.seen_routes.add(key)
            self.opened[key] += 1
            yield url

    def check(self, url: str, page: Any) -> None:
        for text in ui_texts(page):
            if self.language == "en":
                if chinese := CJK.findall(self.values_pattern.sub(" ", text)):
                    self.english.append((url, f"{''.join(chinese)!r} in {text.strip()[:120]!r}"))
            elif words := self.latin_words(text):
                self.english.append((url, f"{' '.join(words)!r} in {text.strip()[:120]!r}"))
            elif found := LOCALISED_DATE.search(text):
                self.english.append((url, f"date {found.group()!r}: not the one format"))

    def latin_words(self, text: str) -> list[str]:
        return glossary.foreign_words(self.values_pattern.sub(" ", text))

    @functools.cached_property
    def values_pattern(self) -> re.Pattern[str]:
        """The data values, as whole words ("num" is a column, not a part of "numeric")."""
        values = "|".join(re.escape(v) for v in self.data_values) or "(?!x)x"
        return re.compile(rf"(?<![A-Za-z])(?:{values})(?![A-Za-z])")


def ui_texts(page: Any) -> Iterator[str]:
    """The text a user reads on the page: text nodes outside code and scripts, the title,
    the attributes above and the labels of buttons."""
    title = page.find(".//title")
    if title is not None and title.text:
        yield title.text
    body = page.find(".//body")
    for element in (body if body is not None else page).iter():
        if not isinstance(element.tag, str):
            continue
        if any(not_ui(a) for a in element.iterancestors()) or not_ui(element):
            continue
        if element.text and element.text.strip():
            yield element.text
        parent = element.getparent()
        if element.tail and element.tail.strip() and (parent is None or parent.tag not in NOT_UI):
            yield element.tail
        for name in CHECKED_ATTRIBUTES:
            if element.get(name):
                yield element.get(name)
        if element.tag == "input" and element.get("type") in ("submit", "button", "reset"):
            if element.get("value"):
                yield element.get("value")


def not_ui(element: Any) -> bool:
    """Code, scripts, the metadata diff of an activity (difflib's table of JSON), and what is
    marked as in a language of its own (the language selector's "English", "中文")."""
    return (element.tag in NOT_UI or "diff" in (element.get("class") or "").split()
            or (element.tag != "html" and element.get("lang") is not None))


def stored_chinese() -> list[str]:
    """Every text the database holds with Chinese in it, and the site's title: on English
    pages these are data (what users typed, and the platform's notifications, which are
    written in its default language when sent)."""
    from ckan.common import config
    from sqlalchemy import String, Text, select

    values = {config.get("ckan.site_title"), config.get("ckan.site_description")}
    for table in model.repo.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text)):
                values.update(v for v in model.Session.execute(select(column).distinct()).scalars()
                              if isinstance(v, str) and CJK.search(v) and len(v) < 2000)
    for package in model.Session.query(model.Package):  # the catalog fields (a JSON column)
        values.update(v for v in package.extras.values() if isinstance(v, str) and CJK.search(v))
    return sorted(filter(None, values), key=len, reverse=True)


def data_values() -> list[str]:
    """What the world's users typed or the platform generated: names, titles, codes."""
    values: set[str] = set()
    for user in model.Session.query(model.User):
        values.update(filter(None, (user.name, user.fullname, user.email, user.about)))
    for group in model.Session.query(model.Group):
        values.update(filter(None, (group.name, group.title, group.description)))
    for package in model.Session.query(model.Package):
        values.update(filter(None, (package.name, package.title, package.url, package.notes)))
    for resource in model.Session.query(model.Resource):
        values.update(filter(None, (resource.name, resource.format, resource.url,
                                    resource.mimetype, resource.description)))
    for resource in model.Session.query(model.Resource).filter_by(state="active"):
        if resource.extras.get("datastore_active"):
            info = helpers.call_action("datastore_info", {"ignore_auth": True}, id=resource.id)
            values.update(column["id"] for column in info["fields"])
    values.update(DATASTORE_TYPES)
    return sorted((v for v in values if len(v) > 1), key=len, reverse=True)


# ------------------------------------------------------------------ the world

@dataclass
class Site:
    world: World
    users: dict[str, str]                      # kind -> user name
    opened: Counter = field(default_factory=Counter)


def build(role: str) -> Site:
    """A small city: the authority, a providing department with entries of each share type
    (one with DataStore rows and views, changed once), another department that asks for one,
    and a citizen who applies for an authorized-open one. Names are Chinese, as users type them."""
    from ckan.common import config

    assume_calendar()
    world = World(role)
    world.sysadmin = factories.Sysadmin(name="crawl-sysadmin", fullname="系统管理员")["name"]
    users = {"sysadmin": world.sysadmin}
    for key, name, title in (("provider", "provider-dept", "市民政局"),
                             ("other", "other-dept", "市人社局"),
                             ("authority", config.get("govshare.authority_org"), "市大数据局")):
        world.orgs[key] = make_department(name=name, title=title, description=f"{title}的职能介绍")
    for kind, org, role_, fullname in (("admin", "provider-dept", "admin", "王管理"),
                                       ("member", "other-dept", "member", "李成员"),
                                       ("authority", world.orgs["authority"]["name"], "member",
                                        "赵主管"),
                                       ("citizen", None, None, "张市民")):
        user = factories.User(name=f"crawl-{kind}", fullname=fullname, about="个人简介")
        if org:
            helpers.call_action("organization_member_create", {"ignore_auth": True}, id=org,
                                username=user["name"], role=role_)
        users[kind] = user["name"]
    world.provider_admin = users["admin"]
    add_entry(world, world.orgs["provider"], "unconditional", "general")
    wanted = add_entry(world, world.orgs["provider"], "conditional", "authorized")
    add_entry(world, world.orgs["provider"], "none", "closed")
    helpers.call_action("govshare_request_create", {"user": users["member"]},
                        package_id=wanted.id, usage_scope=["work_reference"],
                        purpose="核验低保对象家庭收入", basis="《社会救助暂行办法》第十一条",
                        period_start="2026-01-01", period_end="2099-12-31",
                        contact="李成员 0392-1234567")
    helpers.call_action("govshare_application_create", {"user": users["citizen"]},
                        package_id=wanted.id, purpose="研究", scenario="课题",
                        security_measures="内网", commitment_accepted=True,
                        period_end="2099-12-31")
    return Site(world, users)


@pytest.fixture(scope="class")
def loaded(request, reset_db, reset_index, migrate_db_for):
    with loaded_site(request, reset_db, reset_index, migrate_db_for, build) as app_and_site:
        yield app_and_site


@pytest.fixture
def with_plugins():
    """The plugins are loaded once per class by ``loaded`` (see access_fixtures.loaded_site)."""


@pytest.fixture
def app(loaded):
    return loaded[0]


@pytest.fixture
def site(loaded) -> Site:
    return loaded[1]


def crawl(app: Any, site: Site, kind: Optional[str], starts: tuple[str, ...],
          language: str = DEFAULT_LANGUAGE) -> Crawl:
    headers = token(site.users[kind]) if kind else {}
    with app.flask_app.test_request_context():
        values = data_values() if language == DEFAULT_LANGUAGE else stored_chinese()
    found = Crawl(app, headers, values, language=language, opened=site.opened)
    prefix = "" if language == DEFAULT_LANGUAGE else f"/{language}"
    found.visit(tuple(prefix + start for start in ("/",) + starts))
    return found


def token(name: str) -> dict[str, str]:
    return {"Authorization": factories.APIToken(user=name)["token"]}


def report(found: Crawl) -> str:
    """Each English text once, with the first page it is on and how many pages show it."""
    pages: dict[str, list[str]] = {}
    for url, text in found.english:
        pages.setdefault(text, []).append(url)
    lines = [f"{urls[0]} (+{len(urls) - 1}): {text}" for text, urls in pages.items()]
    lines += [f"{url}: HTTP {status}" for url, status in found.errors]
    return f"{found.pages} pages\n" + "\n".join(lines)


def api_error(app: Any, headers: dict[str, str], action: str, data: dict[str, Any]) -> str:
    """The messages of the error an action answers to bad input, as a user reads them."""
    response = app.post(f"/api/3/action/{action}", data=json.dumps(data), status=None,
                        headers={**headers, "Content-Type": "application/json"})
    assert response.status_code in (400, 403, 404, 409), response.body
    error = response.json["error"]
    return json.dumps({k: v for k, v in error.items() if k != "__type"}, ensure_ascii=False)


# ------------------------------------------------------------------ the crawl

START = ("/dataset/", "/organization/", "/group/", "/about", "/no-such-page",
         "/dataset/no-such-entry", "/ckan-admin", "/dataset/?sort=bogus")


@pytest.mark.ckan_config("govshare.site_role", "combined")
class TestChinesePages:
    def test_anonymous(self, app, site):
        found = crawl(app, site, None, START + ("/user/login", "/user/register",
                                                "/user/reset"))
        assert not found.english and not found.errors, report(found)

    def test_citizen(self, app, site):
        me = site.users["citizen"]
        found = crawl(app, site, "citizen", START + (f"/user/{me}", "/dashboard/", "/user/edit",
                                                     "/govshare/requests"))
        assert not found.english and not found.errors, report(found)

    def test_department_member(self, app, site):
        me = site.users["member"]
        found = crawl(app, site, "member", START + (f"/user/{me}", "/dashboard/",
                                                    "/govshare/requests"))
        assert not found.english and not found.errors, report(found)

    def test_department_admin(self, app, site):
        me, entry = site.users["admin"], site.world.entry("conditional", "authorized")
        found = crawl(app, site, "admin", START + (
            f"/user/{me}", "/organization/edit/provider-dept",
            "/organization/members/provider-dept", "/dataset/new", "/govshare/requests",
            f"/dataset/{entry.name}/resource/new", f"/dataset/edit/{entry.name}"))
        assert not found.english and not found.errors, report(found)

    @pytest.mark.parametrize("kind", ["authority", "sysadmin"])
    def test_authority_and_sysadmin(self, app, site, kind):
        found = crawl(app, site, kind, START + (
            "/ckan-admin/config", "/ckan-admin/trash", "/ckan-admin/trash?name=all", "/user/",
            "/govshare/requests", "/organization/new", "/group/new"))
        assert not found.english and not found.errors, report(found)

    @pytest.mark.parametrize("kind", [None, "admin"])
    def test_english_stays_complete(self, app, site, kind):
        """English is the second language: its pages show no Chinese but the data's."""
        found = crawl(app, site, kind, ("/dataset/", "/organization/", "/govshare/requests",
                                        "/no-such-page"), language="en")
        assert not found.english and not found.errors, report(found)

    def test_sign_in_and_registration_errors(self, app, site):
        """A wrong password; a registration with a taken name, a bad email address and a
        short password that does not match its repetition."""
        found = Crawl(app, {}, [])
        for url, data in (("/user/login", {"login": "crawl-citizen", "password": "wrong-pass"}),
                          ("/user/register", {"name": "crawl-citizen", "fullname": "张三",
                                              "email": "错误地址", "password1": "short",
                                              "password2": "other"})):
            form = lxml.html.fromstring(app.get(url).body)
            csrf = form.xpath("//input[@name='_csrf_token']/@value")
            page = app.post(url, data={**data, "_csrf_token": csrf[0] if csrf else ""},
                            status=None)
            found.check(url, lxml.html.fromstring(page.body))
        assert not found.english, report(found)

    def test_api_validation_errors(self, app, site):
        wanted = site.world.entry("conditional", "authorized")
        calls = [
            (site.users["admin"], "package_create", {"title": "无部门的条目", "share_method": []}),
            (site.users["admin"], "package_create", {"title": "缺字段", "owner_org": "provider-dept",
                                                     "share_type": "sometimes"}),
            (site.users["admin"], "package_show", {"id": "no-such-entry"}),
            (site.users["admin"], "organization_member_create",
             {"id": "provider-dept", "username": "nobody", "role": "boss"}),
            (site.users["admin"], "resource_create", {"package_id": "no-such-entry"}),
            (site.users["member"], "govshare_request_create", {"package_id": wanted.id}),
            (site.users["citizen"], "govshare_application_create", {"package_id": wanted.id}),
            (None, "user_create", {"name": "x", "email": "错误地址", "password": "short"}),
            (None, "package_create", {"title": "匿名"}),
        ]
        with app.flask_app.test_request_context():
            found = Crawl(app, {}, data_values())
        english, messages = {}, []
        for user, action, data in calls:
            message = api_error(app, token(user) if user else {}, action, data)
            messages.append(message)
            # the keys of the error are field names: its values are the messages
            if words := found.latin_words(re.sub(r'"[a-z_]+":', " ", message)):
                english[action] = (words, message)
        assert english == {}
        # the two users met in English: "Select at least one", "An organization must be provided"
        assert "请至少选择一项" in messages[0] and "部门" in messages[0], messages[0]

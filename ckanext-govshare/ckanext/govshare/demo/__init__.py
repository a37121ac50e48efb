"""The demo city (``ckan govshare demo-load``): departments, theme groups and a catalog.

The content is in ``city.yaml``; this module turns it into CKAN action calls
made as the site user, so every entry passes the validators an entry typed
into the portal passes. Everything comes from a fixed seed in a fixed order:
a rerun plans the same entries under the same resource codes and skips those
that exist, and a bigger run only adds entries after the ones already there.
"""
from __future__ import annotations

import contextlib
import csv
import datetime
import io
import itertools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import click
import ckan.plugins.toolkit as tk
import yaml
from ckan import model
from ckan.lib.search.common import make_connection
from stdnum.cn import ric, uscc
from werkzeug.datastructures import FileStorage

from ckanext.govshare import schema as catalog
from ckanext.govshare.codes import CLASS_DIGIT, REGISTERED, SHARE_STRICTNESS, STRUCTURED_FORMATS

__all__ = ["load", "read_city", "plan_entries", "department_code", "Planned"]

CITY_FILE = Path(__file__).with_name("city.yaml")
ZH = "zh_Hans_CN"
SAMPLE_ROWS = 20
# A fixed window in the past: today's date must not change what a rerun plans.
FIRST_DAY, LAST_DAY = datetime.date(2019, 1, 1), datetime.date(2025, 12, 31)
# Fields whose values are dealt from decks (see `_Deck`) unless a template pins them.
DEALT = ("share_type", "open_type", "update_frequency", "format_class")
DECIMALS = {"N": 0, "I": 0, "Y": 2, "F": 2, "B": 6}
TYPE_GENERATORS = {"D": "date", "T": "datetime", "L": "boolean",
                   **{t: "number" for t in DECIMALS}}

Task = tuple[str, Callable[[], bool]]


@dataclass
class Planned:
    """An entry as it will be created, with the item specs its sample CSV is made of."""
    package: dict[str, Any]
    items: list[dict[str, Any]]
    seed: str


def load(entries: int = 300) -> dict[str, int]:
    """Create whatever of the demo city is missing; count what was created and what was there."""
    city = read_city()
    counts = {"created": 0, "existing": 0}
    with _one_solr_commit():
        user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        tasks = [*_group_tasks(user), *_department_tasks(city, user),
                 *_entry_tasks(city, entries, user), ("同义词", lambda: _add_synonyms(city, user))]
        label = f"载入演示城市{city['city']['name']} / loading the demo city"
        with click.progressbar(tasks, label=label, show_pos=True,
                               item_show_func=lambda task: task[0] if task else None) as bar:
            for _label, run in bar:
                counts["created" if run() else "existing"] += 1
    click.echo(f"新建 {counts['created']} 项，已存在 {counts['existing']} 项 / "
               f"{counts['created']} created, {counts['existing']} already there")
    return counts


@contextlib.contextmanager
def _one_solr_commit() -> Iterator[None]:
    """Commit the search index once at the end instead of after every entry.

    Those commits were 40% of the load time; meanwhile Solr's soft autocommit
    (solr/solrconfig.xml) shows new entries within a second.
    """
    configured = tk.config.get("ckan.search.solr_commit")
    tk.config["ckan.search.solr_commit"] = False
    try:
        yield
    finally:
        tk.config["ckan.search.solr_commit"] = configured
        make_connection().commit()


def read_city() -> dict[str, Any]:
    with CITY_FILE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _departments(city: dict[str, Any]) -> list[dict[str, Any]]:
    """The data authority first: its position is part of the resource codes."""
    return [city["authority"], *city["departments"]]


def _context(user: str) -> dict[str, Any]:
    """A fresh context per call: actions leave state (e.g. the package) in it."""
    return {"ignore_auth": True, "user": user}


def _add_synonyms(city: dict[str, Any], user: str) -> bool:
    """The pairs not on the list yet, in one transaction: Solr is written once."""
    listed = {frozenset((s["term"], s["synonym"]))
              for s in tk.get_action("govshare_synonym_list")(_context(user), {})}
    missing = [pair for pair in city.get("synonyms", []) if frozenset(pair) not in listed]
    for term, synonym in missing:
        tk.get_action("govshare_synonym_create")({**_context(user), "defer_commit": True},
                                                 {"term": term, "synonym": synonym})
    model.repo.commit()
    return bool(missing)


# ---------------------------------------------------------------- groups, departments

def _group_tasks(user: str) -> list[Task]:
    """One CKAN group per theme of the schema: the plugin files theme entries there."""
    return [(f"主题 {catalog.choice_label('themes', value, ZH)}",
             lambda value=value: _create_group(user, value))
            for value in catalog.choice_values("themes")]


def _create_group(user: str, value: str) -> bool:
    if model.Group.by_name(value):
        return False
    tk.get_action("group_create")(_context(user), {
        "name": value,
        "title": catalog.choice_label("themes", value, ZH),
        "description": f"{catalog.choice_label('themes', value, ZH)}主题信息资源 / "
                       f"{catalog.choice_label('themes', value, 'en')} theme resources",
    })
    return True


def _department_tasks(city: dict[str, Any], user: str) -> list[Task]:
    return [(f"部门 {dept['title']}", lambda dept=dept: _create_department(city, user, dept))
            for dept in _departments(city)]


def _create_department(city: dict[str, Any], user: str, dept: dict[str, Any]) -> bool:
    if model.Group.by_name(dept["name"]):
        return False
    tk.get_action("organization_create")(_context(user), {
        "name": dept["name"],
        "title": dept["title"],
        "description": dept["description"],
        "department_code": department_code(city, dept),
        "region_level": dept.get("level", "city"),
    })
    return True


def department_code(city: dict[str, Any], dept: dict[str, Any]) -> str:
    """The department's 统一社会信用代码 (GB 32100), the same on every run.

    1 (机构编制部门) + 1 机关 / 2 事业单位, the division code, a 9-character
    organization code (GB 11714; 00... as many government bodies have), check digit.
    """
    rng = random.Random(f"{city['seed']}:{dept['name']}")
    division = dept.get("division_code", city["city"]["division_code"])
    return _uscc(dept.get("kind", "11"), division, "00" + _digits(rng, 6))


def _uscc(kind: str, division: str, org_body: str) -> str:
    code = kind + division + org_body + _org_check_digit(org_body)
    return code + uscc.calc_check_digit(code)


def _org_check_digit(body: str) -> str:
    """GB 11714 check digit of an 8-digit organization code body."""
    total = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


# ---------------------------------------------------------------- entries

def _entry_tasks(city: dict[str, Any], entries: int, user: str) -> list[Task]:
    existing = _existing_codes()
    samples = _Samples(city)
    return [(f"目录 {entry.package['title']}",
             lambda entry=entry: _create_entry(user, entry, existing, samples))
            for entry in plan_entries(city, entries)]


def _existing_codes() -> set[str]:
    """Resource codes already used, deleted entries included: their names stay taken."""
    rows = model.Session.query(model.Package.extras["resource_code"].astext)
    return {code for (code,) in rows if code}


def _create_entry(user: str, entry: Planned, existing: set[str], samples: _Samples) -> bool:
    if entry.package["resource_code"] in existing:
        return False
    # The demo city's catalog is registered (备案) already.
    package = tk.get_action("package_create")(
        _context(user), dict(entry.package, catalog_state=REGISTERED))
    try:
        tk.get_action("resource_create")(
            _context(user), {**_csv_resource(entry, samples), "package_id": package["id"]})
    except BaseException:
        # Without this, the next run would skip an entry that never got its data file.
        model.Session.rollback()
        tk.get_action("dataset_purge")(_context(user), {"id": package["id"]})
        raise
    return True


def _csv_resource(entry: Planned, samples: _Samples) -> dict[str, Any]:
    filename = _slug(entry.package["resource_code"]) + ".csv"
    data = sample_csv(entry.items, samples, random.Random(entry.seed + ":rows"))
    return {
        "name": f"{entry.package['title']}（样例数据）",
        "description": f"{SAMPLE_ROWS}条样例记录，UTF-8编码（带BOM），可直接用Excel打开。",
        "format": "CSV",
        "access_method": "bulk_download",
        "url": filename,
        "upload": FileStorage(stream=io.BytesIO(data), filename=filename,
                              content_type="text/csv"),
    }


def _slug(code: str) -> str:
    return code.replace("/", "-")


def sample_csv(items: list[dict[str, Any]], samples: _Samples, rng: random.Random) -> bytes:
    """A header of item names and SAMPLE_ROWS rows; the BOM makes Excel read it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([item["name"] for item in items])
    for _ in range(SAMPLE_ROWS):
        writer.writerow([samples.value(item, rng) for item in items])
    return out.getvalue().encode("utf-8-sig")


def plan_entries(city: dict[str, Any], count: int) -> list[Planned]:
    """The first ``count`` entries of the city, each the same whatever ``count`` is."""
    planner = _Planner(city)
    return [planner.entry(dept, template, variant)
            for dept, template, variant in itertools.islice(_template_order(city), count)]


def _template_order(city: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any], int]]:
    """Base templates first, then one template of each department in turn.

    So a small run already has every base category and every department.
    Past the last template it starts over, each pass for another county.
    """
    departments = _departments(city)
    order = [(d, t) for d in departments for t in d["templates"] if t.get("base")]
    others = [[t for t in d["templates"] if not t.get("base")] for d in departments]
    for round_ in itertools.zip_longest(*others):
        order += [(d, t) for d, t in zip(departments, round_) if t]
    for variant in itertools.count():
        for dept, template in order:
            yield dept, template, variant


class _Deck:
    """Deals a field's values like cards: each value `weight` times per shuffled round.

    Every value comes once a round, so even a small run sees them all, in an
    order that does not look mechanical.
    """

    def __init__(self, field: str, weights: dict[str, int], rng: random.Random) -> None:
        self.cards = [v for v in catalog.choice_values(field) for _ in range(weights.get(v, 1))]
        self.rng = rng
        self.hand: list[str] = []

    def deal(self) -> str:
        if not self.hand:
            self.hand = self.cards[:]
            self.rng.shuffle(self.hand)
        return self.hand.pop()


class _Planner:
    """Gives each templated entry its code and attributes, respecting the catalog rules."""

    def __init__(self, city: dict[str, Any]) -> None:
        self.city = city
        self.decks = {f: _Deck(f, city["weights"].get(f, {}), random.Random(f"{city['seed']}:{f}"))
                      for f in DEALT}
        self.base_codes: dict[str, str] = {}
        self.positions = {d["name"]: i for i, d in enumerate(_departments(city), 1)}

    def entry(self, dept: dict[str, Any], template: dict[str, Any], variant: int) -> Planned:
        title = template["title"]
        if variant:
            counties = self.city["city"]["counties"]
            title += f"（{counties[(variant - 1) % len(counties)]['name']}）"
        seed = f"{self.city['seed']}:{dept['name']}:{title}"
        rng = random.Random(seed)
        unit = template.get("unit") or rng.choice(dept["units"])
        resource_class = ("base" if template.get("base")
                          else "theme" if template.get("themes") else "department")
        code = self._code(dept, template, resource_class, unit, variant)
        if template.get("base"):
            self.base_codes.setdefault(template["base"], code)
        items = [item_spec(self.city, name) for name in template["items"]]
        package = {
            "title": title,
            "owner_org": dept["name"],
            "provider_unit": unit,
            "resource_code": code,
            "resource_class": resource_class,
            "publish_date": (FIRST_DAY + datetime.timedelta(
                days=rng.randrange((LAST_DAY - FIRST_DAY).days))).isoformat(),
            "tag_string": ",".join(dict.fromkeys([*template.get("tags", []), dept["tag"]])),
            **self._classification(template),
            **self._sharing(dept, template, rng),
        }
        package.update(self._format(template, items, rng))
        package["info_items"] = _info_items(items, package["share_type"], package["open_type"])
        package["notes"] = _notes(dept, unit, title, items, package["update_frequency"])
        related = {self.base_codes.get(i.get("base")) for i in items} - {None, code}
        if related:
            package["related_codes"] = sorted(related)
        if "api" in package["share_method"] and package["share_type"] != "none":
            package["resources"] = [self._api_resource(dept, title, code)]
        return Planned(package, items, seed)

    def _code(self, dept: dict[str, Any], template: dict[str, Any], resource_class: str,
              unit: str, variant: int) -> str:
        """分类码/顺序码: 类 + 项 (base category, first theme or department) + 目 + 顺序码.

        The 顺序码 is the template's place in its department (plus 1000 per
        county pass), so adding templates to city.yaml keeps the codes, by
        which a rerun recognizes entries, of those already loaded.
        """
        position = self.positions[dept["name"]]
        if resource_class == "base":
            item, category = catalog.choice_values("base_category").index(template["base"]) + 1, position
        elif resource_class == "theme":
            item, category = catalog.choice_values("themes").index(template["themes"][0]) + 1, position
        else:
            item, category = position, dept["units"].index(unit) + 1
        sequence = variant * 1000 + dept["templates"].index(template) + 1
        return f"{CLASS_DIGIT[resource_class]}{item:02d}{category:03d}/{sequence:06d}"

    @staticmethod
    def _classification(template: dict[str, Any]) -> dict[str, Any]:
        if template.get("base"):
            return {"base_category": template["base"]}
        if template.get("themes"):
            return {"themes": template["themes"]}
        return {}

    def _sharing(self, dept: dict[str, Any], template: dict[str, Any],
                 rng: random.Random) -> dict[str, Any]:
        """Base entries are shared unconditionally; an entry not shared is not open either."""
        share = "unconditional" if template.get("base") else self.decks["share_type"].deal()
        open_type = "closed" if share == "none" else self.decks["open_type"].deal()
        methods = catalog.choice_values("share_method")
        chosen = rng.sample(methods, rng.choice((1, 2)))
        fill = {"provider": dept["title"], "platform": self.city["city"]["platform"]}
        sharing: dict[str, Any] = {"share_type": share, "open_type": open_type,
                                   "share_method": [m for m in methods if m in chosen]}
        if share == "conditional":
            sharing["share_condition"] = rng.choice(self.city["share_conditions"]).format(**fill)
            scopes = catalog.choice_values("usage_scope")
            picked = rng.sample(scopes, rng.choice((1, 2)))
            sharing["usage_scope"] = [s for s in scopes if s in picked]
        if share == "none":
            sharing["no_share_basis"] = rng.choice(self.city["no_share_basis"])
        if open_type == "authorized":
            sharing["open_condition"] = rng.choice(self.city["open_conditions"]).format(**fill)
        return sharing

    def _format(self, template: dict[str, Any], items: list[dict[str, Any]],
                rng: random.Random) -> dict[str, Any]:
        fmt = template.get("format") or self.decks["format_class"].deal()
        frequency = template.get("frequency") or self.decks["update_frequency"].deal()
        structured = fmt in STRUCTURED_FORMATS
        formats = {
            "format_class": fmt,
            "format_type": rng.choice(self.city["format_types"][fmt]),
            "update_frequency": frequency,
            "storage_size_gb": str(round(10 ** rng.uniform(-2, 0.5 if structured else 2.7), 3)),
        }
        if structured:
            formats["record_count"] = str(int(10 ** rng.uniform(2.5, 6.5)))
        return formats

    def _api_resource(self, dept: dict[str, Any], title: str, code: str) -> dict[str, Any]:
        city = self.city["city"]
        return {
            "name": f"{title}数据接口",
            "description": f"通过{city['platform']}调用，须先申请授权令牌（AppKey）。",
            "url": f"{city['api_base']}/{dept['name']}/{_slug(code)}",
            "format": "API",
            "access_method": "api",
        }


def _info_items(items: list[dict[str, Any]], share: str, open_type: str) -> list[dict[str, Any]]:
    """The entry's 信息项; a sensitive item is shared more strictly and never opened."""
    result = []
    for item in items:
        info = {"name": item["name"], "data_type": item["type"]}
        if "length" in item:
            info["length"] = str(item["length"])
        sensitive = item.get("share")
        if sensitive and SHARE_STRICTNESS.index(sensitive) > SHARE_STRICTNESS.index(share):
            info["share_type"] = sensitive
        info["open"] = open_type != "closed" and not sensitive
        result.append(info)
    return result


def _notes(dept: dict[str, Any], unit: str, title: str, items: list[dict[str, Any]],
           frequency: str) -> str:
    names = "、".join(item["name"] for item in items[:4])
    return (f"{dept['title']}{unit}汇集的{title}，包括{names}等{len(items)}个信息项，"
            f"{catalog.choice_label('update_frequency', frequency, ZH)}更新。")


def item_spec(city: dict[str, Any], name: str) -> dict[str, Any]:
    """An item's type, length and sample values: named in city.yaml, else by a rule on its name."""
    spec = city["items"].get(name) or next(
        (rule for rule in city["item_rules"]
         if any(name.endswith(m) for m in rule.get("match", []))
         or any(name.startswith(p) for p in rule.get("prefix", []))), None)
    if spec is None or not ({"values", "pattern", "gen"} & spec.keys()
                            or spec["type"] in TYPE_GENERATORS):
        raise ValueError(f"city.yaml: no type or sample values for the item {name!r}")
    return {**spec, "name": name}


class _Samples:
    """Plausible values for sample rows, made of the words in city.yaml."""

    def __init__(self, city: dict[str, Any]) -> None:
        self.words = city["samples"]
        self.city = city["city"]

    def value(self, spec: dict[str, Any], rng: random.Random) -> str:
        if "values" in spec:
            return str(rng.choice(spec["values"]))
        if "pattern" in spec:
            return "".join(str(rng.randrange(10)) if c == "#" else c for c in spec["pattern"])
        generator = spec.get("gen") or TYPE_GENERATORS[spec["type"]]
        return getattr(self, f"gen_{generator}")(spec, rng)

    def _county(self, rng: random.Random) -> dict[str, str]:
        return rng.choice(self.city["counties"])

    def gen_person(self, spec: dict[str, Any], rng: random.Random) -> str:
        given = self.words["given"]
        return rng.choice(self.words["surnames"]) + "".join(
            rng.choice(given) for _ in range(rng.choice((1, 2, 2))))

    def gen_id_number(self, spec: dict[str, Any], rng: random.Random) -> str:
        birth = self._day(rng, 1945, 2015).strftime("%Y%m%d")
        body = self._county(rng)["code"] + birth + _digits(rng, 3)
        return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last digit

    def gen_uscc(self, spec: dict[str, Any], rng: random.Random) -> str:
        return _uscc("91", self._county(rng)["code"], _digits(rng, 8))

    def gen_company(self, spec: dict[str, Any], rng: random.Random) -> str:
        w = self.words
        return (self.city["name"].removesuffix("市") + rng.choice(w["firm_names"])
                + rng.choice(w["firm_trades"]) + rng.choice(w["firm_forms"]))

    def gen_project(self, spec: dict[str, Any], rng: random.Random) -> str:
        return (self._county(rng)["name"] + rng.choice(self.words["roads"])
                + rng.choice(self.words["project_kinds"]))

    def gen_address(self, spec: dict[str, Any], rng: random.Random) -> str:
        return (self.city["name"] + self._county(rng)["name"] + rng.choice(self.words["roads"])
                + f"{rng.randint(1, 399)}号")

    def gen_county(self, spec: dict[str, Any], rng: random.Random) -> str:
        return self._county(rng)["name"]

    def gen_township(self, spec: dict[str, Any], rng: random.Random) -> str:
        return rng.choice(self.words["townships"])

    def gen_month(self, spec: dict[str, Any], rng: random.Random) -> str:
        return f"{rng.randint(2021, 2025)}-{rng.randint(1, 12):02d}"

    def gen_year(self, spec: dict[str, Any], rng: random.Random) -> str:
        return str(rng.randint(2019, 2025))

    def gen_boolean(self, spec: dict[str, Any], rng: random.Random) -> str:
        return rng.choice(("是", "否"))

    def gen_number(self, spec: dict[str, Any], rng: random.Random) -> str:
        low, high = spec.get("range", (0, 1000))
        return f"{rng.uniform(low, high):.{DECIMALS[spec['type']]}f}"

    def gen_date(self, spec: dict[str, Any], rng: random.Random) -> str:
        return self._day(rng, *spec.get("range", (2016, 2025))).isoformat()

    def gen_datetime(self, spec: dict[str, Any], rng: random.Random) -> str:
        day = self._day(rng, *spec.get("range", (2023, 2025)))
        return f"{day.isoformat()} {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"

    @staticmethod
    def _day(rng: random.Random, first_year: int, last_year: int) -> datetime.date:
        first = datetime.date(first_year, 1, 1)
        return first + datetime.timedelta(
            days=rng.randrange((datetime.date(last_year, 12, 31) - first).days + 1))

"""Chinese is the default language: every message the extension can show has its translation,
and the committed .mo (what a plain install uses) matches the .po."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "ckanext-govshare" / "ckanext" / "govshare" / "i18n"
PO = I18N / "zh_Hans_CN" / "LC_MESSAGES" / "ckanext-govshare.po"


def test_every_message_in_the_code_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", str(ROOT / "babel.cfg"), "-k", "_", "-o", str(pot), str(I18N.parent)],
                   check=True, capture_output=True)
    translated = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if not e.obsolete}
    missing = [e.msgid for e in polib.pofile(str(pot)) if not translated.get(e.msgid)]
    assert missing == []


def test_compiled_catalog_matches_the_po():
    def text(entry: polib.POEntry) -> object:
        return entry.msgstr or {int(n): s for n, s in entry.msgstr_plural.items()}

    compiled = {e.msgid: text(e) for e in polib.mofile(str(PO.with_suffix(".mo")))}
    source = {e.msgid: text(e) for e in polib.pofile(str(PO))
              if text(e) and not e.obsolete and "fuzzy" not in e.flags}
    assert compiled == source


# ------------------------------------------------------------------ the catalog as served
# CKAN merges each ITranslation plugin's catalog over its own (flask_babel: later directories
# win, per message), for pages; `ckan translation js` merges the .po files the same way for the
# JavaScript strings of /api/i18n/<lang>. These tests read what the portal serves.

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sdr]|\{[a-z_0-9!]*\}")


def _script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def served(app):
    """The Chinese catalog pages are translated with: {msgid or (msgid, n): msgstr}."""
    import flask_babel

    with app.flask_app.test_request_context("/", environ_base={"CKAN_LANG": "zh_Hans_CN"}):
        return dict(flask_babel.get_translations()._catalog)


def test_every_ckan_message_is_served_in_chinese(served):
    """CKAN's own messages (core, its bundled plugins, ckanext-scheming) included: what CKAN's
    catalog lacks comes from the extension's."""
    missing = []
    for messages, _ in _script().upstream_catalogs():
        for entry in messages:
            key = (entry.msgid, 0) if entry.msgid_plural else entry.msgid
            if entry.msgid and not served.get(key):
                missing.append(entry.msgid)
    assert missing == []


def test_the_served_catalog_is_chinese_in_the_glossary_terms(served):
    """No variant the glossary rules out, and no English left (CKAN's catalog has
    "translations" that copy the English: "Go", "News feed", "Powered by")."""
    from ckanext.govshare import glossary

    wrong = {}
    for key, msgstr in served.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if msgid and (found := glossary.misuses(msgid, msgstr) + glossary.foreign_words(msgstr)):
            wrong[msgid] = found
    assert wrong == {}


def test_the_glossary_catches_the_variants_users_met():
    from ckanext.govshare import glossary

    for msgid, msgstr in [("Log in", "登陆"), ("Followers", "追从者"), ("read more", "读取更多"),
                          ("Organizations", "机构"), ("Organization", "组织"), ("Groups", "群组"),
                          ("Private", "私有的"), ("No License Provided", "没有指定授权"),
                          ("Value", "价值"), ("Everything", "所有事物"), ("API Docs", "API文献"),
                          ("Field", "域")]:
        assert glossary.misuses(msgid, msgstr), msgstr
    # the right words, and the ones the variants are part of, pass
    for msgid, msgstr in [("Grants", "获得的授权"), ("Company or other organization", "企业或其他组织"),
                          ("Region", "行政区域"), ("License", "许可协议"), ("Authorized open", "授权开放")]:
        assert glossary.misuses(msgid, msgstr) == [], msgstr


# Placeholders a translation leaves out on purpose: CKAN fills them with codes, not words.
DROPPED = {
    "Search datasets by {name}: {label}": "{name}",    # the facet's field name (organization)
    "Remove applied filter: {value}": "{value}",       # the facet value's code (monthly)
}


def test_translations_keep_their_placeholders():
    """A translation that drops or renames {name} / %(name)s breaks the page that formats it."""
    broken = []
    for entry in polib.pofile(str(PO)):
        if entry.obsolete:
            continue
        for msgstr in [entry.msgstr] if entry.msgstr else entry.msgstr_plural.values():
            ours = sorted(set(PLACEHOLDER.findall(msgstr)))
            theirs = sorted((set(PLACEHOLDER.findall(entry.msgid))
                             | set(PLACEHOLDER.findall(entry.msgid_plural or "")))
                            - {DROPPED.get(entry.msgid)})
            if ours != theirs:
                broken.append((entry.msgid, msgstr))
    assert broken == []


def test_javascript_strings_are_served_in_chinese(app):
    """The JavaScript catalog as `make run` builds it (`ckan translation js`) carries the
    extension's translations of CKAN's JavaScript messages; CKAN's page asks for the locale with
    underscores (public/govshare-ckan-locale.js)."""
    from ckan.lib.i18n import build_js_translations, get_js_translations_dir

    target = Path(get_js_translations_dir()) / "zh_Hans_CN.js"
    target.unlink(missing_ok=True)
    build_js_translations()
    strings = app.get("/api/i18n/zh_Hans_CN").json
    assert strings["Please Confirm"] == [None, "请确认"]  # CKAN's own catalog lacks it
    assert strings["Close"] == [None, "关闭"]
    assert strings["Input is too short, must be at least one character"][1] == \
        "输入太短，至少需要 %(num)d 个字符"
    english = [k for k, v in strings.items() if k and not v[1]]
    assert english == []


def test_schema_labels_use_the_glossary_terms():
    """The catalog's field and choice labels (schemas/*.yaml) are served too."""
    import yaml

    from ckanext.govshare import glossary

    def chinese(node):
        if isinstance(node, dict):
            if isinstance(node.get("zh_Hans_CN"), str):
                yield node["zh_Hans_CN"], str(node.get("en", ""))
            for value in node.values():
                yield from chinese(value)
        elif isinstance(node, list):
            for value in node:
                yield from chinese(value)

    wrong = []
    for schema in (ROOT / "schemas").glob("*.yaml"):
        for zh, en in chinese(yaml.safe_load(schema.read_text(encoding="utf-8"))):
            if found := glossary.misuses(en, zh):
                wrong.append((schema.name, zh, found))
    assert wrong == []


@pytest.mark.ckan_config("ckan.display_timezone", "Asia/Shanghai")
def test_dates_have_one_format_in_the_display_timezone(app):
    """CKAN's "十二月 1, 2026, 16:28 (+0800)" stood beside the catalog's 2026-12-15."""
    import datetime

    import ckan.plugins.toolkit as tk

    utc = datetime.datetime(2026, 12, 1, 8, 28, 5)
    with app.flask_app.test_request_context("/", environ_base={"CKAN_LANG": "zh_Hans_CN"}):
        assert tk.h.render_datetime(utc) == "2026-12-01"
        assert tk.h.render_datetime(utc, with_hours=True) == "2026-12-01 16:28"
        assert tk.h.render_datetime(utc.isoformat(), with_seconds=True) == "2026-12-01 16:28:05"
        assert tk.h.render_datetime(utc, date_format="%Y年%m月") == "2026年12月"  # asked for
        assert tk.h.render_datetime("not a date") == ""

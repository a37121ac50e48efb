"""Refresh the extension's message catalogs: extract, merge into each .po, compile .mo.

Run after changing user-facing messages: `.venv/bin/python scripts/i18n.py`.
The compiled .mo files are committed so that a plain `pip install .` is translated.

Besides the extension's own messages, the catalog carries those of CKAN (and of ckanext-scheming,
which has no Chinese catalog) that the portal translates itself: the ones CKAN's Chinese catalog
lacks, the ones whose CKAN translation uses a word the glossary rules out (glossary.yaml) or is
left in English, and
those already translated here. CKAN merges the extension's catalog over its own, for pages and
for the JavaScript strings of /api/i18n/<lang> alike.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "ckanext-govshare/ckanext/govshare/i18n"
POT = I18N / "ckanext-govshare.pot"
BABEL = [sys.executable, "-m", "babel.messages.frontend"]
LOCALE = "zh_Hans_CN"


def extract(source: Path, pot: Path, config: Path | None = None) -> None:
    args = ["extract", "--no-location", "--omit-header", "-k", "_", "-o", str(pot), str(source)]
    if config:
        args[1:1] = ["-F", str(config)]
    subprocess.run(BABEL + args, check=True, capture_output=True)


def upstream_catalogs() -> list[tuple[list[polib.POEntry], polib.POFile | None]]:
    """(messages, their Chinese catalog) of CKAN (its .pot, which lags behind its templates, and
    its sources as installed, with the bundled plugins the portal enables) and of
    ckanext-scheming and ckanext-harvest, which have no Chinese catalog."""
    import ckan
    import ckanext.activity
    import ckanext.datastore
    import ckanext.datatablesview
    import ckanext.harvest
    import ckanext.imageview
    import ckanext.scheming
    from ckan.lib.i18n import get_ckan_i18n_dir

    core = Path(get_ckan_i18n_dir())
    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        for name, module in (("ckan", ckan), ("activity", ckanext.activity),
                             ("datastore", ckanext.datastore),
                             ("datatablesview", ckanext.datatablesview),
                             ("imageview", ckanext.imageview), ("scheming", ckanext.scheming),
                             ("harvest", ckanext.harvest)):
            extract(Path(module.__file__).parent, Path(tmp) / f"{name}.pot", ROOT / "babel.cfg")
            sources[name] = list(polib.pofile(str(Path(tmp) / f"{name}.pot")))
    ckan_messages = list(polib.pofile(str(core / "ckan.pot")))
    for name in ("ckan", "activity", "datastore", "datatablesview", "imageview"):
        ckan_messages += sources[name]
    return [(ckan_messages, polib.pofile(str(core / LOCALE / "LC_MESSAGES" / "ckan.po"))),
            (sources["scheming"] + sources["harvest"], None)]


def translated(entry: polib.POEntry) -> list[str]:
    return [entry.msgstr] if entry.msgstr else [s for s in entry.msgstr_plural.values() if s]


def upstream_messages(ours: dict[str, polib.POEntry]) -> list[polib.POEntry]:
    """The upstream messages this catalog translates (see the module's docstring)."""
    from ckanext.govshare import glossary

    chosen: dict[str, polib.POEntry] = {}
    done: dict[str, polib.POEntry] = {}
    for messages, catalog in upstream_catalogs():
        done.update((e.msgid, e) for e in catalog or () if not e.obsolete and translated(e))
        for entry in messages:
            if not entry.msgid or entry.msgid in chosen:
                continue
            theirs = done.get(entry.msgid)
            if (entry.msgid in ours or theirs is None
                    or any(glossary.misuses(entry.msgid, s) or glossary.foreign_words(s)
                           for s in translated(theirs))):
                chosen[entry.msgid] = polib.POEntry(
                    msgid=entry.msgid, msgid_plural=entry.msgid_plural,
                    msgstr_plural={0: ""} if entry.msgid_plural else {},
                    flags=[f for f in entry.flags if f.endswith("-format")])
    return list(chosen.values())


def main() -> None:
    extract(I18N.parent, POT, ROOT / "babel.cfg")
    pot = polib.pofile(str(POT))
    po = polib.pofile(str(I18N / LOCALE / "LC_MESSAGES" / "ckanext-govshare.po"))
    own = {e.msgid for e in pot}
    ours = {e.msgid: e for e in po if not e.obsolete and translated(e)}
    for entry in upstream_messages(ours):
        if entry.msgid not in own:
            pot.append(entry)
    pot.save(str(POT))
    for catalog in I18N.glob("*/LC_MESSAGES/ckanext-govshare.po"):
        subprocess.run(BABEL + ["update", "--no-fuzzy-matching", "-D", "ckanext-govshare",
                                "-i", str(POT), "-d", str(I18N), "-l", catalog.parts[-3]], check=True)
    subprocess.run(BABEL + ["compile", "--statistics", "-D", "ckanext-govshare", "-d", str(I18N)],
                   check=True)


if __name__ == "__main__":
    main()

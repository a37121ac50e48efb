"""Chinese is the default language: every message the extension can show has its translation,
and the committed .mo (what a plain install uses) matches the .po."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polib

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
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(PO.with_suffix(".mo")))}
    source = {e.msgid: e.msgstr for e in polib.pofile(str(PO))
              if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
    assert compiled == source

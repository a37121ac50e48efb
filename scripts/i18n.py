"""Refresh the extension's message catalogs: extract, merge into each .po, compile .mo.

Run after changing user-facing messages: `.venv/bin/python scripts/i18n.py`.
The compiled .mo files are committed so that a plain `pip install .` is translated.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "ckanext-govshare/ckanext/govshare/i18n"
POT = I18N / "ckanext-govshare.pot"
BABEL = [sys.executable, "-m", "babel.messages.frontend"]


def main() -> None:
    subprocess.run(BABEL + ["extract", "-F", str(ROOT / "babel.cfg"), "-k", "_", "--no-location",
                            "--omit-header", "-o", str(POT), str(I18N.parent)], check=True)
    for po in I18N.glob("*/LC_MESSAGES/ckanext-govshare.po"):
        subprocess.run(BABEL + ["update", "--no-fuzzy-matching", "-D", "ckanext-govshare",
                                "-i", str(POT), "-d", str(I18N), "-l", po.parts[-3]], check=True)
    subprocess.run(BABEL + ["compile", "--statistics", "-D", "ckanext-govshare", "-d", str(I18N)],
                   check=True)


if __name__ == "__main__":
    main()

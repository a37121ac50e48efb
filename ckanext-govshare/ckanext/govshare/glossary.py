"""The portal's words: one Chinese term per thing (glossary.yaml), and the check that a
translation uses none of the variants the glossary rules out."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Optional

import yaml

GLOSSARY = Path(__file__).with_name("glossary.yaml")


@dataclass(frozen=True)
class Term:
    en: str
    zh: str
    avoid: tuple[re.Pattern[str], ...]
    where: Optional[re.Pattern[str]]


@cache
def terms() -> tuple[Term, ...]:
    data = yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))
    return tuple(Term(t["en"], t["zh"], tuple(re.compile(a) for a in t.get("avoid", ())),
                      re.compile(t["where"]) if t.get("where") else None)
                 for t in data["terms"])


@cache
def names() -> frozenset[str]:
    return frozenset(yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))["names"])


LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
MARKUP = re.compile(r"<code>.*?</code>|<[^>]*>|&[a-z]+;|%\([a-z_]+\)[sdr]|%[sdr]|\{[^}]*\}")
# Values rather than words: quoted, or with a digit, a path or address character, or words
# joined by - or _ (user names, URL names, action and field names).
VALUE = re.compile(r"“[^”]*”|'[^']*'|\"[^\"]*\""
                   r"|[^\s，。：；（）“”、]*[0-9_/@:.=?&#%+\\][^\s，。：；（）“”、]*"
                   r"|[A-Za-z]+(?:-[A-Za-z]+)+")


def foreign_words(text: str) -> list[str]:
    """The English words of a Chinese text, but for the names the glossary allows."""
    allowed = names()
    words = LATIN_WORD.findall(VALUE.sub(" ", MARKUP.sub(" ", text)))
    return [w for w in words if w not in allowed]


def misuses(msgid: str, msgstr: str) -> list[str]:
    """What in this translation the glossary rules out, as "variant → term"."""
    found = []
    for term in terms():
        if term.where and not term.where.search(msgid):
            continue
        for pattern in term.avoid:
            for match in pattern.finditer(msgstr):
                found.append(f"{match.group()} → {term.zh}")
    return found

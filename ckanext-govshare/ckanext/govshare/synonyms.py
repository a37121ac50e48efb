"""The authority's search synonyms (医保 = 医疗保险): kept in PostgreSQL, followed by Solr.

A query is analysed by Solr (solr/make_schema.py): traditional characters made simplified,
Chinese runs cut into bigrams, then the managed synonym graph ``govshare`` adds the other
words of a pair as alternative paths. The managed list therefore holds each word as Solr's
query analyser has it just before that filter (营业执照 → "营业 业执 执照"): this module asks
each core's analysis handler for that form, so the list always matches the live analyser.

The table is the truth; after a commit that changed it, the whole list is written to every
core that follows it (this site's ``solr_url`` and ``govshare.synonyms.solr_urls``, e.g. the
open site's core) and the core is reloaded: no restart. Writing the whole list is idempotent,
so a failed push (Solr down) is repaired by the next change or ``ckan govshare
synonyms-push``; the failure is logged and never undoes the saved change.
"""
from __future__ import annotations

import datetime
import logging
import unicodedata
from typing import Any, Optional
from urllib.parse import quote

import ckan.plugins.toolkit as tk
import requests
from ckan import model
from sqlalchemy import event, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from ckanext.govshare.model import SearchSynonym

log = logging.getLogger(__name__)

RESOURCE = "govshare"  # the managed synonym resource named in solr/make_schema.py
TIMEOUT = 30  # seconds for one Solr request (a core reload takes about one)
_PENDING = "govshare_synonyms_pending"
# The stage of the query analyser right before the synonym filter (solr/make_schema.py).
_BEFORE_SYNONYMS = "LowerCaseFilter"


def normalise(word: str) -> str:
    """Full-width folded (NFKC), inner spaces collapsed: what the authority meant to type."""
    return " ".join(unicodedata.normalize("NFKC", word).split())


def as_dict(row: SearchSynonym) -> dict[str, Any]:
    return {"id": row.id, "term": row.term, "synonym": row.synonym,
            "created": row.created.isoformat()}


def _invalid(field: str, message: str) -> tk.ValidationError:
    return tk.ValidationError({field: [message]})


def create(user: model.User, term: str, synonym: str) -> dict[str, Any]:
    term, synonym = normalise(term), normalise(synonym)
    if term.casefold() == synonym.casefold():
        raise _invalid("synonym", tk._("A word is not a synonym of itself"))
    pair = (func.least(SearchSynonym.term, SearchSynonym.synonym) == min(term, synonym),
            func.greatest(SearchSynonym.term, SearchSynonym.synonym) == max(term, synonym))
    if model.Session.query(SearchSynonym.id).filter(*pair).first():
        raise _invalid("synonym", tk._("These two words are already on the list"))
    row = SearchSynonym(term=term, synonym=synonym, created=datetime.datetime.utcnow(),
                        created_by=user.id)
    try:
        with model.Session.begin_nested():  # the same pair saved at the same moment
            model.Session.add(row)
    except IntegrityError:
        raise _invalid("synonym", tk._("These two words are already on the list"))
    _changed()
    return as_dict(row)


def delete(synonym_id: str) -> None:
    row = model.Session.get(SearchSynonym, synonym_id)
    if row is None:
        raise tk.ObjectNotFound(tk._("Synonym not found"))
    model.Session.delete(row)
    model.Session.flush()
    _changed()


def listed() -> list[dict[str, Any]]:
    rows = model.Session.query(SearchSynonym).order_by(SearchSynonym.term, SearchSynonym.synonym)
    return [as_dict(r) for r in rows]


def equivalents() -> dict[str, set[str]]:
    """Each word and the words paired with it (itself included: the query keeps it)."""
    words: dict[str, set[str]] = {}
    for row in model.Session.query(SearchSynonym):
        for word, other in ((row.term, row.synonym), (row.synonym, row.term)):
            words.setdefault(word, {word}).add(other)
    return words


def _changed() -> None:
    """Read the list inside the transaction; it goes to Solr once the transaction commits."""
    model.Session.info[_PENDING] = equivalents()


@event.listens_for(model.Session, "after_commit")
def _after_commit(session: OrmSession) -> None:
    words = session.info.pop(_PENDING, None)
    if words is not None:
        push(words)


@event.listens_for(model.Session, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)


# ------------------------------------------------------------------ Solr

def solr_urls() -> list[str]:
    """The cores that follow the list: this site's, then the configured others."""
    urls = [tk.config.get("solr_url") or "", *tk.config.get("govshare.synonyms.solr_urls")]
    return list(dict.fromkeys(u.rstrip("/") for u in urls if u))


def _http() -> requests.Session:
    http = requests.Session()
    user, password = tk.config.get("solr_user"), tk.config.get("solr_password")
    if user and password:
        http.auth = (user, password)
    return http


def _answer(response: requests.Response) -> dict[str, Any]:
    response.raise_for_status()
    return response.json()


def analysed(http: requests.Session, core: str, word: str) -> str:
    """``word`` as the core's query analyser has it before the synonym filter."""
    answer = _answer(http.get(f"{core}/analysis/field", timeout=TIMEOUT, params={
        "analysis.fieldtype": "text", "analysis.query": word, "wt": "json"}))
    stages = answer["analysis"]["field_types"]["text"]["query"]
    for name, tokens in zip(stages[::2], stages[1::2]):
        if name.endswith(_BEFORE_SYNONYMS):
            return " ".join(t["text"] for t in sorted(tokens, key=lambda t: t["position"]))
    raise ValueError(f"{core}: no {_BEFORE_SYNONYMS} in the query analyser of `text`")


def _push_core(http: requests.Session, core: str, words: dict[str, set[str]]) -> bool:
    """Make the core's managed list the table's; reload when it changed. True if it did."""
    form = {w: analysed(http, core, w) for w in words}
    wanted: dict[str, set[str]] = {}
    for word, others in words.items():
        if form[word]:
            wanted.setdefault(form[word], set()).update(form[o] for o in others if form[o])
    wanted_lists = {key: sorted(values) for key, values in wanted.items() if len(values) > 1}
    resource = f"{core}/schema/analysis/synonyms/{RESOURCE}"
    current = _answer(http.get(resource, timeout=TIMEOUT))["synonymMappings"]["managedMap"]
    stale = [key for key, values in current.items() if sorted(values) != wanted_lists.get(key)]
    for key in stale:  # an update adds to a key's words: a changed key is deleted first
        _answer(http.delete(f"{resource}/{quote(key, safe='')}", timeout=TIMEOUT))
    fresh = {k: v for k, v in wanted_lists.items() if k in stale or k not in current}
    if fresh:
        _answer(http.put(resource, json=fresh, timeout=TIMEOUT))
    if not (stale or fresh):
        return False
    base, name = core.rsplit("/", 1)
    _answer(http.get(f"{base}/admin/cores", timeout=TIMEOUT,
                     params={"action": "RELOAD", "core": name, "wt": "json"}))
    return True


def push(words: Optional[dict[str, set[str]]] = None) -> list[str]:
    """Write the list to every following core; the cores it failed for (logged)."""
    if words is None:
        words = equivalents()
    failed = []
    with _http() as http:
        for core in solr_urls():
            try:
                _push_core(http, core, words)
            except (requests.RequestException, ValueError, KeyError) as error:
                log.warning("Search synonyms not written to %s (%s); "
                            "`ckan govshare synonyms-push` writes them", core, error)
                failed.append(core)
    return failed

"""The authority's search synonyms (synonyms.py) and the suggestions for a search that found
nothing (search.suggestions)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.govshare import search, synonyms
from ckanext.govshare.logic import schema
from ckanext.govshare.logic.action.base import commit, me, validated

__all__ = ["govshare_synonym_create", "govshare_synonym_delete", "govshare_synonym_list",
           "govshare_search_suggest"]


def govshare_synonym_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority says two words mean the same in a search (医保, 医疗保险): each
    finds what the other finds, on every core that follows the list, at once.

    :param term: a word or an abbreviation
    :param synonym: the word it stands for
    """
    tk.check_access("govshare_synonym_create", context, data_dict)
    data = validated(data_dict, schema.synonym_create(), context)
    created = synonyms.create(me(context), data["term"], data["synonym"])
    commit(context)
    return created


def govshare_synonym_delete(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The data authority takes a pair off the list.

    :param id: the pair's id
    """
    tk.check_access("govshare_synonym_delete", context, data_dict)
    data = validated(data_dict, schema.object_id(), context)
    synonyms.delete(data["id"])
    commit(context)
    return {"id": data["id"]}


@tk.side_effect_free
def govshare_synonym_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The pairs, by word: ``[{id, term, synonym, created}]``. Public: they only say how
    the search reads words."""
    tk.check_access("govshare_synonym_list", context, data_dict)
    validated(data_dict, schema.no_input(), context)
    return synonyms.listed()


@tk.side_effect_free
def govshare_search_suggest(context: Context, data_dict: DataDict) -> list[dict[str, str]]:
    """Entries the caller may see that match part of ``q`` (for a search that found
    nothing): ``[{name, title}]``, best first.

    :param q: the query typed
    """
    tk.check_access("govshare_search_suggest", context, data_dict)
    data = validated(data_dict, schema.search_suggest(), context)
    return search.suggestions(context, data["q"])

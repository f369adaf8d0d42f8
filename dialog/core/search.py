"""Swedish full-text search that gives the same answers on PostgreSQL and SQLite.

PostgreSQL uses its `swedish` text-search configuration. SQLite has no Swedish stemmer,
so text is stemmed here with the same Snowball algorithm and the same stop words before
it goes into an FTS5 table, and queries are stemmed the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

# PostgreSQL's swedish.stop (the Snowball list), so both databases ignore the same words.
STOP_WORDS = frozenset(
    [
        "och",
        "det",
        "att",
        "i",
        "en",
        "jag",
        "hon",
        "som",
        "han",
        "på",
        "den",
        "med",
        "var",
        "sig",
        "för",
        "så",
        "till",
        "är",
        "men",
        "ett",
        "om",
        "hade",
        "de",
        "av",
        "icke",
        "mig",
        "du",
        "henne",
        "då",
        "sin",
        "nu",
        "har",
        "inte",
        "hans",
        "honom",
        "skulle",
        "hennes",
        "där",
        "min",
        "man",
        "ej",
        "vid",
        "kunde",
        "något",
        "från",
        "ut",
        "när",
        "efter",
        "upp",
        "vi",
        "dem",
        "vara",
        "vad",
        "över",
        "än",
        "dig",
        "kan",
        "sina",
        "här",
        "ha",
        "mot",
        "alla",
        "under",
        "någon",
        "eller",
        "allt",
        "mycket",
        "sedan",
        "ju",
        "denna",
        "själv",
        "detta",
        "åt",
        "utan",
        "varit",
        "hur",
        "ingen",
        "mitt",
        "ni",
        "bli",
        "blev",
        "oss",
        "din",
        "dessa",
        "några",
        "deras",
        "blir",
        "mina",
        "samma",
        "vilken",
        "er",
        "sådan",
        "vår",
        "blivit",
        "dess",
        "inom",
        "mellan",
        "sådant",
        "varför",
        "varje",
        "vilka",
        "ditt",
        "vem",
        "vilket",
        "sitta",
        "sådana",
        "vart",
        "dina",
        "vars",
        "vårt",
        "våra",
        "ert",
        "era",
        "vilkas",
    ]
)
WORD = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("swedish")


def words(text: str) -> list[str]:
    """The searchable words of a text, lower-case, without stop words."""
    return [
        w for w in (m.group(0).lower() for m in WORD.finditer(text or "")) if w not in STOP_WORDS
    ]


def stems(text: str) -> list[str]:
    return _stemmer().stemWords(words(text))


def fts5_query(text: str, *, any_word: bool) -> str | None:
    """An FTS5 MATCH expression for the stemmed words; None when nothing is searchable."""
    tokens = list(dict.fromkeys(stems(text)))
    if not tokens:
        return None
    return (" OR " if any_word else " ").join(f'"{token}"' for token in tokens)


def tsquery_text(text: str, *, any_word: bool) -> str | None:
    """Words joined for PostgreSQL's to_tsquery('swedish', ...), which stems them."""
    tokens = list(dict.fromkeys(words(text)))
    if not tokens:
        return None
    return (" | " if any_word else " & ").join(tokens)

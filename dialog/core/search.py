"""Swedish full-text search that gives the same answers on PostgreSQL and SQLite.

PostgreSQL uses its `swedish` text-search configuration. SQLite has no Swedish stemmer,
so text is stemmed here with the same Snowball algorithm and the same stop words before
it goes into an FTS5 table, and queries are stemmed the same way.

The search box matches a word of three letters or more as the start of a word (FTS5's
`"torg"*`, PostgreSQL's `torg:*`, both on the stem), so the first part of a compound
finds it; a text that is a proposal reference (`reference`) names that proposal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


# Shorter words match whole words only: a prefix of one or two letters would find
# nearly every proposal.
MIN_PREFIX = 3


# PostgreSQL ignores a word longer than 2047 bytes in a query, SQLite would look for it:
# both leave out what no language has as a word.
MAX_QUERY_WORD = 100


def _query_words(text: str) -> list[str]:
    return [word for word in words(text) if len(word) <= MAX_QUERY_WORD]


def _as_prefix(word: str, prefixes: bool) -> bool:
    # Decided on the word as typed, so both databases decide alike whatever their stems.
    return prefixes and len(word) >= MIN_PREFIX


def fts5_query(text: str, *, any_word: bool, prefixes: bool = False) -> str | None:
    """An FTS5 MATCH expression for the stemmed words; None when nothing is searchable.

    With `prefixes`, each word of three letters or more also finds the longer words its
    stem begins ("cykel" finds "cykelplatser", "torg" finds "torget").
    """
    phrases = {}
    for word in _query_words(text):
        stem = _stemmer().stemWord(word)
        phrase = f'"{stem}"*' if _as_prefix(word, prefixes) else f'"{stem}"'
        phrases.setdefault(phrase, None)
    if not phrases:
        return None
    return (" OR " if any_word else " AND ").join(phrases)


def tsquery_text(text: str, *, any_word: bool, prefixes: bool = False) -> str | None:
    """Words joined for PostgreSQL's to_tsquery('swedish', ...), which stems them; with
    `prefixes` as for fts5_query (`:*` after the word, applied to its stem)."""
    tokens = {
        f"{word}:*" if _as_prefix(word, prefixes) else word: None for word in _query_words(text)
    }
    if not tokens:
        return None
    return (" | " if any_word else " & ").join(tokens)


@dataclass(frozen=True)
class Reference:
    prefix: str  # upper-case, as Dialogue.reference_prefix is compared
    number: int


# STK-0042 as people type it: any case, a dash, a space or nothing between, with or
# without the zeros. Without a separator the prefix is letters only (slugs may give it
# digits: "E4-0003"), so "stk3" reads STK-3.
REFERENCE = re.compile(
    r"\A\s*#?\s*(?:([A-Za-z0-9]{1,8})\s*[-‐–—_]\s*|([A-Za-z0-9]{1,8})\s+|([A-Za-z]{1,8}))"
    r"0*([0-9]{1,9})\s*\Z"
)


def reference(text: str | None) -> Reference | None:
    """The proposal reference a search text is, if it is one."""
    found = REFERENCE.match(text or "")
    if found is None:
        return None
    prefix = next(group for group in found.groups()[:3] if group)
    number = int(found.group(4))
    return Reference(prefix.upper(), number) if number else None

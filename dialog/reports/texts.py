"""What residents wrote, read for the report: the subjects they raise that no theme names
(emerging topics) and the words that set each theme apart. `docs/report-texts.md` gives
the method, its parameters and why."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import BigInteger, func, literal, select, union_all
from sqlalchemy import cast as sa_cast

from dialog.core import search
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals.models import Comment, Moderation, Proposal, format_reference
from dialog.reports import queries

# A large dialogue is read from a sample of at most this many texts: enough for topics
# and words to settle, and it keeps the time and memory of the section bounded.
SAMPLE_CAP = 20_000
# The sample is the texts whose keys are smallest, a text's key a hash of its id salted
# with this seed: the same texts every time, spread evenly over the dialogue, and a
# text added later changes the sample by at most one text.
SAMPLE_SEED = 13
_HASH_MULTIPLIER = 2_654_435_761  # Knuth's multiplicative hash: near 2**32 / golden ratio
_HASH_MODULUS = 2**32
FETCH_CHUNK = 5_000  # ids in one IN list, well under both databases' limits

# Below this many texts topics are chance: the section says so instead.
MIN_TEXTS = 20
# Words nearly every proposal uses, whatever its subject, added to the search's stop words.
FILLER_WORDS = (
    "förslag",
    "föreslår",
    "bra",
    "tycker",
    "borde",
    "behöver",
    "behövs",
    "finns",
    "kommer",
    "ska",
    "vill",
    "få",
    "får",
    "göra",
    "mer",
    "fler",
    "gärna",
    "många",
    "också",
    "även",
    "bara",
    "bättre",
    "idé",
    "tack",
    "ja",
    "nej",
    "kanske",
    "väldigt",
    "lite",
)
MIN_WORD_LENGTH = 2  # single letters are initials and list markers, not subjects
# A theme or focus area name's stem shorter than this names nothing ("i", "bo").
MIN_NAME_STEM = 3

TOPIC_PARAMETERS = {
    "min_df": 2,  # a word in a single text says nothing about a topic
    "max_df": 0.5,  # one in more than half the texts is the dialogue's, not a topic's
    "max_features": 5_000,
    "sublinear_tf": True,  # a word said ten times in a long text is not ten times the topic
    "extra_topics": 3,  # topics beyond one per theme, for what the themes do not name
    "min_topics": 2,
    "max_topics": 10,
    "texts_per_topic": 10,  # never more topics than one per this many texts
    "nmf_init": "nndsvda",
    "nmf_seed": 0,
    "nmf_max_iter": 400,
    "top_words": 8,
    "merge_overlap": 0.5,  # share of top words two topics share to be reported as one
    "naming_words": 5,  # the top words compared with the themes' names
    "theme_majority": 0.5,  # a theme holding this share of a topic's texts covers it
    "emerging_min_share": 0.02,  # of the texts read: a subject residents raise often
    "emerging_min_texts": 3,
    "examples": 3,
}
WORD_PARAMETERS = {
    "words": 10,
    "min_count": 2,  # a word used once in a theme does not set it apart
}

PROPOSAL, COMMENT = "proposal", "comment"


@dataclass(frozen=True)
class Text:
    """One proposal (title and body) or one comment, with its proposal's number and theme."""

    kind: str
    number: int
    theme: str | None
    words: str


@dataclass(frozen=True)
class Sample:
    total: int  # visible texts in the dialogue
    texts: list[Text]  # those read: all of them, or SAMPLE_CAP chosen by the seed
    # The sample key of the last text read when the cap chose: texts keyed up to it are
    # the sample's, and stay so when texts are added (None: every text was read).
    cutoff: int | None = None


def read_sample(dialogue_id: int, up_to: int | None = None) -> Sample:
    """The dialogue's visible texts, at most SAMPLE_CAP of them (or, with `up_to`, those
    keyed up to a cutoff a report recorded): proposals the moderators let through, and
    their comments that are shown and not deleted. Held, hidden, pending and withdrawn
    input, and comments on such proposals, are left out as everywhere in the report."""
    keyed = _keyed_texts(dialogue_id)
    statement = select(
        keyed.c.kind, keyed.c.id, keyed.c.key, func.count().over().label("total")
    ).order_by(keyed.c.key, keyed.c.kind, keyed.c.id)
    if up_to is None:
        chosen = db.session.execute(statement.limit(SAMPLE_CAP)).all()
    else:
        chosen = db.session.execute(statement.where(keyed.c.key <= up_to)).all()
    proposal_ids = sorted(row.id for row in chosen if row.kind == PROPOSAL)
    comment_ids = sorted(row.id for row in chosen if row.kind == COMMENT)
    texts = list(_proposal_texts(proposal_ids)) + list(_comment_texts(comment_ids))
    total = chosen[0].total if chosen else 0
    capped = up_to is None and total > len(chosen)
    return Sample(total, texts, int(chosen[-1].key) if capped else up_to)


def _sampling(reading: Reading) -> dict[str, int | None]:
    # Read when a section is made, so a report records the cap it was made with.
    return {"sample_cap": SAMPLE_CAP, "sample_seed": SAMPLE_SEED, "sample_cutoff": reading.cutoff}


def _shown_proposal(dialogue_id: int):
    return queries.counted_proposals(dialogue_id) & (Proposal.moderation == Moderation.shown)


def _shown_comment(dialogue_id: int):
    """A shown comment under a shown proposal (the statement joins the proposal)."""
    return (
        queries.counted_comments(dialogue_id)
        & (Comment.moderation == Moderation.shown)
        & _shown_proposal(dialogue_id)
    )


def _sample_key(column, salt: int):
    return ((sa_cast(column, BigInteger) + salt) * literal(_HASH_MULTIPLIER, BigInteger)) % literal(
        _HASH_MODULUS, BigInteger
    )


def _keyed_texts(dialogue_id: int):
    # Proposal and comment ids count from 1 alike; salts apart keep their keys apart.
    return union_all(
        select(
            literal(PROPOSAL).label("kind"),
            Proposal.id.label("id"),
            _sample_key(Proposal.id, SAMPLE_SEED).label("key"),
        ).where(_shown_proposal(dialogue_id)),
        select(literal(COMMENT), Comment.id, _sample_key(Comment.id, SAMPLE_SEED * 7 + 1))
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .where(_shown_comment(dialogue_id)),
    ).subquery()


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), FETCH_CHUNK):
        yield ids[start : start + FETCH_CHUNK]


def _proposal_texts(ids: list[int]) -> Iterator[Text]:
    for chunk in _chunks(ids):
        rows = db.session.execute(
            select(Proposal.number, Proposal.theme, Proposal.title, Proposal.body)
            .where(Proposal.id.in_(chunk))
            .order_by(Proposal.number)
        )
        for number, theme, title, body in rows:
            yield Text(PROPOSAL, number, theme, f"{title}\n{body}")


def _comment_texts(ids: list[int]) -> Iterator[Text]:
    for chunk in _chunks(ids):
        rows = db.session.execute(
            select(Proposal.number, Proposal.theme, Comment.body)
            .join(Proposal, Proposal.id == Comment.proposal_id)
            .where(Comment.id.in_(chunk))
            .order_by(Comment.id)
        )
        for number, theme, body in rows:
            yield Text(COMMENT, number, theme, body)


def names_in_use(dialogue_id: int) -> set[str]:
    """Themes and focus areas shown proposals carry, offered now or not."""
    rows = db.session.execute(
        union_all(
            select(Proposal.theme).where(_shown_proposal(dialogue_id)),
            select(Proposal.focus_area).where(_shown_proposal(dialogue_id)),
        )
        .subquery()
        .select()
        .distinct()
    )
    return {name for (name,) in rows if name}


# Words ------------------------------------------------------------------------------


@lru_cache(maxsize=100_000)
def word_stem(word: str) -> str:
    # Snowball in pure Python is slow; a worker reading report after report keeps them.
    return search.stems(word)[0]


@lru_cache(maxsize=1)
def _filler_stems() -> frozenset[str]:
    return frozenset(word_stem(word) for word in FILLER_WORDS)


def _counted_stem(word: str) -> str | None:
    """The word's Snowball stem, or None for a word that names no subject."""
    if word in search.STOP_WORDS or len(word) < MIN_WORD_LENGTH or word.isdigit():
        return None
    stem = word_stem(word)
    return None if stem in _filler_stems() else stem


class Words:
    """The tokenizer: lower-case words (the search's pattern and stop words) as their
    Snowball stems. It counts how each was written, so the report can show the form
    residents used most ("cykelbanor", not the stem "cykelban")."""

    def __init__(self) -> None:
        self.stem_of: dict[str, str | None] = {}
        self.written: Counter[str] = Counter()

    def __call__(self, text: str) -> list[str]:
        # A dialogue's texts repeat a few thousand words: each is judged once.
        stem_of, kept, stems = self.stem_of, [], []
        for word in search.WORD.findall(text.lower()):
            if word not in stem_of:
                stem_of[word] = _counted_stem(word)
            if (stem := stem_of[word]) is not None:
                kept.append(word)
                stems.append(stem)
        self.written.update(kept)
        return stems

    def display_forms(self, stems: Iterable[str]) -> dict[str, str]:
        """Each stem's most written form; on a tie the first in alphabetical order."""
        wanted = set(stems)
        best: dict[str, tuple[int, str]] = {}
        for word, count in self.written.items():
            stem = self.stem_of[word]
            if stem in wanted and (-count, word) < best.get(stem, (1, "")):
                best[stem] = (-count, word)
        return {stem: word for stem, (_, word) in best.items()}


@dataclass(frozen=True)
class Reading:
    """A sample with each text's stems: read once, for both sections."""

    total: int
    texts: list[Text]
    stems: list[list[str]]
    words: Words
    cutoff: int | None = None


def read(dialogue_id: int, up_to: int | None = None) -> Reading:
    """The sample, tokenized: what both sections are made from (`read_sample`)."""
    sample = read_sample(dialogue_id, up_to)
    words = Words()
    stems = [words(t.words) for t in sample.texts]
    return Reading(sample.total, sample.texts, stems, words, sample.cutoff)


def _as_read(stems: list[str]) -> list[str]:
    """The vectorisers' analyzer: the texts come tokenized (`Words`) already."""
    return stems


# Emerging topics ----------------------------------------------------------------------


def topics_section(dialogue: Dialogue, reading: Reading | None = None) -> dict[str, Any]:
    """The subjects residents write about, found by NMF on the texts' TF-IDF, each with
    its words, its size, the theme most of its texts were filed under and its most
    representative proposals; `emerging` marks those no theme or focus area names.
    `reading` is `read(dialogue.id)` when the caller makes both sections."""
    reading = reading or read(dialogue.id)
    section = {
        "texts": reading.total,
        "sampled": len(reading.texts),
        "parameters": {**_sampling(reading), "min_texts": MIN_TEXTS, **TOPIC_PARAMETERS},
        "topics": [],
        "reason": None,
    }
    if len(reading.texts) < MIN_TEXTS:
        return {**section, "reason": "too_few_texts"}
    matrix, stems = _tfidf(reading.stems)
    if matrix is None:
        return {**section, "reason": "too_few_words"}
    count = topic_count(len(reading.texts), len(stems), len(dialogue.themes or []))
    weights, components, iterations = _factorise(matrix, count)
    weights, components = _merge_alike(weights, components)
    topics = _topics(reading, weights, components, stems)
    offered = [*(dialogue.themes or []), *(dialogue.focus_areas or [])]
    names = offered + sorted(names_in_use(dialogue.id))
    for topic in topics:
        judge(topic, names, len(reading.texts))
    _add_titles(topics, dialogue)
    section["parameters"].update({"topics": count, "iterations": iterations})
    return {**section, "topics": topics}


def _tfidf(stems: list[list[str]]):
    """The texts × stems TF-IDF matrix (sparse) and the stems of its columns; None when
    no word is left once too rare and too common ones are taken out."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    p = TOPIC_PARAMETERS
    vectorizer = TfidfVectorizer(
        analyzer=_as_read,
        min_df=p["min_df"],
        max_df=p["max_df"],
        max_features=p["max_features"],
        sublinear_tf=p["sublinear_tf"],
        dtype=np.float64,
    )
    try:
        matrix = vectorizer.fit_transform(stems)
    except ValueError:  # sklearn's way of saying no term is left after pruning
        return None, []
    return matrix, list(vectorizer.get_feature_names_out())


def topic_count(texts: int, stems: int, themes: int) -> int:
    """One topic per theme and `extra_topics` more for what they do not name, between
    `min_topics` and `max_topics`, never more than one per `texts_per_topic` texts nor
    more than there are words."""
    p = TOPIC_PARAMETERS
    wanted = min(themes + p["extra_topics"], p["max_topics"], texts // p["texts_per_topic"])
    return max(1, min(max(wanted, p["min_topics"]), stems, texts))


def _factorise(matrix, count: int) -> tuple[np.ndarray, np.ndarray, int]:
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    p = TOPIC_PARAMETERS
    model = NMF(
        n_components=count,
        init=p["nmf_init"],
        random_state=p["nmf_seed"],
        max_iter=p["nmf_max_iter"],
    )
    # Not converging within the fixed iterations still gives usable topics; the report
    # records the iterations run instead of a warning in the worker's log.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    return weights, model.components_, int(model.n_iter_)


def _merge_alike(weights: np.ndarray, components: np.ndarray):
    """Components whose top words overlap by `merge_overlap` or more, as one: with more
    components than a dialogue has subjects, NMF splits a subject into near twins."""
    p = TOPIC_PARAMETERS
    tops = [set(np.argsort(-row, kind="stable")[: p["top_words"]]) for row in components]
    groups: list[tuple[set, list[int]]] = []
    for index, top in enumerate(tops):
        twin = next(
            (g for g in groups if len(g[0] & top) >= p["merge_overlap"] * p["top_words"]), None
        )
        if twin is None:
            groups.append((set(top), [index]))
        else:
            twin[0].update(top)
            twin[1].append(index)
    joins = np.zeros((len(components), len(groups)))
    for column, (_, members) in enumerate(groups):
        joins[members, column] = 1
    return weights @ joins, joins.T @ components


def _topics(reading: Reading, weights, components, stems) -> list[dict[str, Any]]:
    """Each text goes to its strongest topic (a text with no counted word to none); the
    topics come biggest first."""
    p = TOPIC_PARAMETERS
    strongest = weights.argmax(axis=1)
    strength = weights.max(axis=1)
    top = [np.argsort(-row, kind="stable")[: p["top_words"]] for row in components]
    forms = reading.words.display_forms(stems[i] for row in top for i in row)
    texts = reading.texts
    topics = []
    for index, row in enumerate(components):
        members = np.flatnonzero((strongest == index) & (strength > 0))
        if not len(members):
            continue
        topics.append(
            {
                "words": [
                    {"word": forms[stems[i]], "stem": stems[i], "weight": round(float(row[i]), 4)}
                    for i in top[index]
                    if row[i] > 0
                ],
                **_membership(texts, members),
                "examples": _examples(texts, members, strength),
            }
        )
    topics.sort(key=lambda t: (-t["texts"], [w["stem"] for w in t["words"]]))
    return [{"id": n, **topic} for n, topic in enumerate(topics, start=1)]


def _membership(texts: list[Text], members: np.ndarray) -> dict[str, Any]:
    """How many texts a topic holds, of which kind, and the theme most were filed under."""
    chosen = [texts[i] for i in members]
    themes = Counter(text.theme for text in chosen if text.theme is not None)
    main = min(themes, key=lambda name: (-themes[name], name)) if themes else None
    return {
        "texts": len(chosen),
        "proposals": sum(1 for text in chosen if text.kind == PROPOSAL),
        "comments": sum(1 for text in chosen if text.kind == COMMENT),
        "unthemed_share": round(1 - sum(themes.values()) / len(chosen), 4),
        "main_theme": main,
        "main_theme_share": round(themes[main] / len(chosen), 4) if main else 0.0,
    }


def _examples(texts: list[Text], members: np.ndarray, strength: np.ndarray) -> list[int]:
    """The proposals most wholly about the topic: a proposal counts with the strongest
    of its texts in the topic (its own or a comment on it)."""
    best: dict[int, float] = {}
    for i in members:
        number = texts[i].number
        best[number] = max(best.get(number, 0.0), float(strength[i]))
    ranked = sorted(best, key=lambda number: (-best[number], number))
    return ranked[: TOPIC_PARAMETERS["examples"]]


def judge(topic: dict[str, Any], names: list[str], sampled: int) -> None:
    """A topic is named when one of its leading words shares a stem with a theme's or
    focus area's name (either inside the other, as Swedish compounds put "cykel" inside
    "cykelbanor"), or when most of its texts were filed under one theme. It is emerging
    when it is not named and holds enough of the texts to be something residents raise
    often."""
    p = TOPIC_PARAMETERS
    leading = [w["stem"] for w in topic["words"][: p["naming_words"]]]
    topic["named_by"] = [name for name in dict.fromkeys(names) if _shares_stem(name, leading)]
    filed = topic["main_theme_share"] >= p["theme_majority"]
    often = topic["texts"] >= max(p["emerging_min_texts"], p["emerging_min_share"] * sampled)
    topic["emerging"] = not topic["named_by"] and not filed and often


def _shares_stem(name: str, stems: list[str]) -> bool:
    """Whether a stem of the name begins or ends one of the stems, or the other way round:
    Swedish compounds put their parts first and last ("cykel" in "cykelbanor", "väg" in
    "gångväg"), while a part in the middle is seldom the subject ("park" in
    "cykelparkering")."""
    named = [stem for stem in search.stems(name) if len(stem) >= MIN_NAME_STEM]
    return any(
        _begins_or_ends(a, b) or _begins_or_ends(b, a)
        for a in named
        for b in stems
        if len(b) >= MIN_NAME_STEM
    )


def _begins_or_ends(whole: str, part: str) -> bool:
    return whole.startswith(part) or whole.endswith(part)


def _add_titles(topics: list[dict[str, Any]], dialogue: Dialogue) -> None:
    numbers = sorted({number for topic in topics for number in topic["examples"]})
    titles = queries.titles(dialogue.id, numbers)
    for topic in topics:
        topic["examples"] = [
            {"reference": format_reference(dialogue.reference_prefix, n), "title": titles[n]}
            for n in topic["examples"]
        ]


# Words of each theme ------------------------------------------------------------------


def words_section(dialogue: Dialogue, reading: Reading | None = None) -> dict[str, Any]:
    """For each theme (the offered ones in their order, then others proposals carry), the
    words that set its texts apart from the rest: class-based TF-IDF, the theme's share
    of a word weighed by how rare the word is across the themes and the texts with none
    (one more class, so words the whole dialogue uses weigh little)."""
    reading = reading or read(dialogue.id)
    themed = [text for text in reading.texts if text.theme is not None]
    offered = list(dialogue.themes or [])
    order = offered + sorted({t.theme for t in themed} - set(offered))
    section = {
        "texts": reading.total,
        "sampled": len(reading.texts),
        "parameters": {**_sampling(reading), **WORD_PARAMETERS},
        "themes": [{"name": name, "texts": 0, "words": []} for name in order],
    }
    if not themed:
        return section
    per_theme, stems = _counts_per_class(reading, [*order, None])
    rarity = _rarity(per_theme)
    chosen = [_distinctive(per_theme, rarity, row) for row in range(len(order))]
    forms = reading.words.display_forms(stems[i] for row in chosen for i, _, _ in row)
    text_counts = Counter(text.theme for text in themed)
    section["themes"] = [
        {
            "name": name,
            "texts": text_counts[name],
            "words": [
                {"word": forms[stems[i]], "count": count, "score": score}
                for i, count, score in chosen[row]
            ],
        }
        for row, name in enumerate(order)
    ]
    return section


def _counts_per_class(reading: Reading, classes: list[str | None]):
    """Classes × stems: how often each stem is used in each class's texts (sparse)."""
    from sklearn.feature_extraction.text import CountVectorizer

    texts = reading.texts
    vectorizer = CountVectorizer(analyzer=_as_read)
    try:
        counts = vectorizer.fit_transform(reading.stems)
    except ValueError:  # no text has a word left: nothing to count
        return sparse.csr_matrix((len(classes), 0)), []
    row_of = {name: row for row, name in enumerate(classes)}
    membership = sparse.csr_matrix(
        (
            np.ones(len(texts)),
            ([row_of[text.theme] for text in texts], np.arange(len(texts))),
        ),
        shape=(len(classes), len(texts)),
    )
    return (membership @ counts).tocsr(), list(vectorizer.get_feature_names_out())


def _rarity(per_theme: sparse.csr_matrix) -> np.ndarray:
    """Class-based IDF: log(1 + the average class's number of words over the word's uses
    in all classes), high for a word few classes use."""
    lengths = np.asarray(per_theme.sum(axis=1)).ravel()
    uses = np.asarray(per_theme.sum(axis=0)).ravel()
    if not len(uses):
        return uses
    return np.log1p(lengths[lengths > 0].mean() / uses)


def _distinctive(per_theme: sparse.csr_matrix, rarity: np.ndarray, row: int) -> list[tuple]:
    """The theme's best words as (column, uses, score), the score a word's share of the
    theme's words times its rarity; a word needs `min_count` uses, ties go by stem."""
    start, end = per_theme.indptr[row], per_theme.indptr[row + 1]
    columns, uses = per_theme.indices[start:end], per_theme.data[start:end]
    length = uses.sum()
    scored = sorted(
        (-round(float(n / length * rarity[c]), 4), int(c), int(n))
        for c, n in zip(columns, uses, strict=True)
        if n >= WORD_PARAMETERS["min_count"]
    )
    return [(c, n, -score) for score, c, n in scored[: WORD_PARAMETERS["words"]]]

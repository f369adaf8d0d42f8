"""The report's emerging topics and words per theme, on a dialogue whose subjects are
known: cycling and parks have themes, snow clearing has none; what the moderators keep
out of sight carries words of its own that must never show."""

from __future__ import annotations

import pytest
from flask import render_template
from flask_babel import force_locale

from dialog.core.db import utcnow
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.proposals.models import Moderation, Proposal, ProposalState
from dialog.reports import texts
from tests.security.injection import assert_harmless
from tests.security.injection_corpus import Payload

CYKEL, PARKER = "Cykel", "Parker och grönska"
SUBJECTS = {
    "cykel": (
        CYKEL,
        [
            "cykelbanor",
            "cykelbanan",
            "cyklister",
            "cykelparkering",
            "cykelställ",
            "cykelvägen",
            "cykla",
            "cyklar",
            "separerade",
            "korsningen",
        ],
    ),
    "park": (
        PARKER,
        [
            "träd",
            "parken",
            "bänkar",
            "gräsmattan",
            "lekplatsen",
            "planteringar",
            "blommor",
            "skugga",
            "dammen",
            "fontänen",
        ],
    ),
    "snö": (
        None,
        [
            "snöröjning",
            "snöröjningen",
            "plogning",
            "plogas",
            "halka",
            "sandning",
            "trottoarerna",
            "vintern",
            "snövallar",
            "isfläckar",
        ],
    ),
}
SCRIPT_TITLE = "<script>alert('ämne')</script> Snöröjning och plogning"
# Words only content out of sight uses, each often enough to lead wherever it counted.
OUT_OF_SIGHT = ("zebrafinkar", "flamingor", "kolibrier", "pelikaner", "strutsar", "papegojor")


def _sentence(words: list[str], n: int, length: int) -> str:
    return " ".join(words[(n * 3 + j) % len(words)] for j in range(length))


@pytest.fixture
def dialogue(ctx, make_dialogue, make_user, make_proposal, make_comment):
    """12 proposals on cycling (theme Cykel), 11 on parks (Parker och grönska), 11 on
    snow clearing with no theme, comments on some; and hidden, held, pending, deleted and
    withdrawn input in the words of OUT_OF_SIGHT."""
    dialogue = make_dialogue("texter", themes=[CYKEL, PARKER], focus_areas=["Trygghet"])
    person = make_user()
    made = {}
    for subject, (theme, words) in SUBJECTS.items():
        for n in range(12 if subject == "cykel" else 11):
            title = _sentence(words, n, 2).capitalize()
            if subject == "snö" and n == 0:
                title = SCRIPT_TITLE
            made.setdefault(subject, []).append(
                make_proposal(
                    dialogue,
                    person,
                    title=title,
                    body=f"Jag tycker att {_sentence(words, n + 1, 6)} i stadsdelen.",
                    theme=theme,
                )
            )
    for n, proposal in enumerate(made["snö"][:4]):
        make_comment(proposal, person, f"Ja, {_sentence(SUBJECTS['snö'][1], n + 5, 3)}!")
    for n, proposal in enumerate(made["cykel"][:3]):
        make_comment(proposal, person, f"Bra, {_sentence(SUBJECTS['cykel'][1], n + 5, 3)}.")
    _out_of_sight(dialogue, made["park"][0], person, make_proposal, make_comment)
    return db.session.get(Dialogue, dialogue.id)


def _out_of_sight(dialogue, park, person, make_proposal, make_comment) -> None:
    zebra, flamingo, kolibri, pelikan, struts, papegoja = (f"{w} " * 3 for w in OUT_OF_SIGHT)
    for _ in range(3):
        hidden = make_proposal(dialogue, person, title="Fåglar", body=zebra, theme=PARKER)
        hidden.moderation = Moderation.hidden
        withdrawn = make_proposal(dialogue, person, title="Fåglar", body=struts, theme=PARKER)
        withdrawn.state = ProposalState.withdrawn
        make_comment(park, person, flamingo).moderation = Moderation.held
        make_comment(park, person, kolibri).moderation = Moderation.pending
        make_comment(park, person, pelikan).deleted_at = utcnow()
        make_comment(hidden, person, papegoja)
    db.session.commit()


def _all_words(section: dict) -> set[str]:
    found = {w["word"] for t in section.get("topics", []) for w in t["words"]}
    return found | {w["word"] for t in section.get("themes", []) for w in t["words"]}


def test_the_sample_holds_only_what_everyone_may_read(dialogue):
    sample = texts.read_sample(dialogue.id)

    # 34 proposals and 7 comments are shown; 3 hidden and 3 withdrawn proposals, and
    # held, pending and deleted comments and those under a hidden proposal are not.
    assert sample.total == len(sample.texts) == 41
    assert sum(t.kind == texts.PROPOSAL for t in sample.texts) == 34
    written = " ".join(t.words for t in sample.texts)
    assert "snöröjning" in written and "cykelbanor" in written
    assert not [word for word in OUT_OF_SIGHT if word in written]


def test_snow_clearing_is_an_emerging_topic_with_its_words_and_examples(dialogue):
    section = texts.topics_section(dialogue)

    assert section["reason"] is None
    assert (section["texts"], section["sampled"]) == (41, 41)
    [snow] = [t for t in section["topics"] if t["emerging"]]
    words = [w["word"] for w in snow["words"]]
    assert {"snöröjning", "plogning"} <= set(words)
    # The form residents wrote most is shown, not the stem ("plog").
    assert (
        "plog" not in words and all(w["stem"] != w["word"] for w in snow["words"][:1]) is not None
    )
    assert snow["main_theme"] is None and snow["unthemed_share"] == 1.0
    assert snow["named_by"] == []
    assert len(snow["examples"]) == 3
    snow_titles = {p.title for p in _proposals(dialogue) if p.theme is None}
    assert all(e["title"] in snow_titles for e in snow["examples"])
    assert all(e["reference"].startswith(dialogue.reference_prefix + "-") for e in snow["examples"])


def test_a_subject_a_theme_names_is_not_emerging(dialogue):
    topics = texts.topics_section(dialogue)["topics"]

    cycling = [t for t in topics if any(w["word"].startswith("cykel") for w in t["words"][:3])]
    assert cycling
    for topic in cycling:
        assert not topic["emerging"]
        assert CYKEL in topic["named_by"] and topic["main_theme"] == CYKEL


def test_the_topic_count_follows_its_rule():
    # Themes plus three, between two and ten, one per ten texts at most, not above words.
    assert texts.topic_count(texts=41, stems=60, themes=2) == 4
    assert texts.topic_count(texts=20_000, stems=5_000, themes=12) == 10
    assert texts.topic_count(texts=20, stems=60, themes=0) == 2
    assert texts.topic_count(texts=25, stems=1, themes=3) == 1


def test_hidden_content_gives_no_words_to_either_section(dialogue):
    topics = texts.topics_section(dialogue)
    words = texts.words_section(dialogue)

    assert not set(OUT_OF_SIGHT) & (_all_words(topics) | _all_words(words))


def test_two_compilations_are_the_same_and_one_reading_serves_both(dialogue):
    reading = texts.read(dialogue.id)

    assert texts.topics_section(dialogue) == texts.topics_section(dialogue, reading)
    assert texts.words_section(dialogue) == texts.words_section(dialogue, reading)
    assert texts.topics_section(dialogue) == texts.topics_section(dialogue)


def test_a_capped_sample_is_the_same_each_time_and_never_larger(dialogue, monkeypatch):
    monkeypatch.setattr(texts, "SAMPLE_CAP", 25)

    first, again = texts.read_sample(dialogue.id), texts.read_sample(dialogue.id)
    assert first == again
    assert (first.total, len(first.texts)) == (41, 25)
    topics = texts.topics_section(dialogue)
    assert topics == texts.topics_section(dialogue)
    assert (topics["texts"], topics["sampled"]) == (41, 25)
    assert topics["parameters"]["sample_cap"] == 25
    assert sum(t["texts"] for t in topics["topics"]) <= 25
    words = texts.words_section(dialogue)
    assert sum(t["texts"] for t in words["themes"]) <= 25


def test_each_theme_gets_its_distinctive_words(dialogue):
    section = texts.words_section(dialogue)

    by_name = {t["name"]: t for t in section["themes"]}
    assert list(by_name) == [CYKEL, PARKER]  # the offered themes, in their order
    assert by_name[CYKEL]["texts"] == 15 and by_name[PARKER]["texts"] == 11
    cycling = [w["word"] for w in by_name[CYKEL]["words"]]
    parks = [w["word"] for w in by_name[PARKER]["words"]]
    assert len(cycling) == 10 and set(cycling[:9]) <= set(SUBJECTS["cykel"][1])
    assert len(parks) == 10 and set(parks[:9]) <= set(SUBJECTS["park"][1])
    # A word every subject uses ("stadsdelen") ranks below the theme's own.
    assert "stadsdelen" not in cycling[:9] + parks[:9]
    assert all(w["count"] >= 2 for w in by_name[CYKEL]["words"] + by_name[PARKER]["words"])
    counts = [w["score"] for w in by_name[CYKEL]["words"]]
    assert counts == sorted(counts, reverse=True)


def test_too_little_text_gives_no_topics_and_says_why(ctx, make_dialogue, make_proposal, app):
    small = make_dialogue("fa", themes=[CYKEL])
    for n in range(5):
        make_proposal(small, None, title=f"Cykelbanor {n}", body="Fler cykelbanor", theme=CYKEL)
    section = texts.topics_section(db.session.get(Dialogue, small.id))

    assert section["topics"] == [] and section["reason"] == "too_few_texts"
    with app.test_request_context(), force_locale("en"):
        page = render_template("reports/_topics.html", c={"topics": section})
    assert "too little text" in page and "20" in page and "5" in page


def test_the_sections_render_with_what_residents_wrote_escaped(app, dialogue):
    topics, words = texts.topics_section(dialogue), texts.words_section(dialogue)
    [snow] = [t for t in topics["topics"] if t["emerging"]]
    assert SCRIPT_TITLE in {e["title"] for e in snow["examples"]}

    with app.test_request_context(), force_locale("en"):
        shown = render_template("reports/_topics.html", c={"topics": topics})
        shown += render_template("reports/_words.html", c={"words": words})

    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert_harmless(shown, Payload("script", "xss", SCRIPT_TITLE, "ämne"), kind="html")
    assert 'aria-labelledby="topics-heading"' in shown and '<h2 id="words-heading">' in shown
    assert "Residents often wrote about snöröjning" in shown
    assert '<th scope="row">Cykel</th>' in shown and "cykelbanor (" in shown


def _proposals(dialogue) -> list[Proposal]:
    from sqlalchemy import select

    return list(db.session.scalars(select(Proposal).where(Proposal.dialogue_id == dialogue.id)))


def _topic(words: list[str], main_theme: str | None, share: float, size: int = 10) -> dict:
    return {
        "words": [{"word": w, "stem": w} for w in words],
        "texts": size,
        "main_theme": main_theme,
        "main_theme_share": share,
    }


@pytest.mark.parametrize(
    ("topic", "named_by", "emerging"),
    [
        # Leading words a theme's name begins or ends: named, whoever filed them.
        (_topic(["cykelban", "korsning"], None, 0.0), ["Cykel"], False),
        (_topic(["gångväg", "belysning"], None, 0.0), ["Vägar"], False),
        # A name inside a compound's middle names nothing ("park" in "elsparkcyklar").
        (_topic(["elsparkcykl", "ställ"], None, 0.0), [], True),
        # Most texts filed under one theme: the residents named it.
        (_topic(["buss", "hållplats"], "Parker", 0.6), [], False),
        (_topic(["buss", "hållplats"], "Parker", 0.4), [], True),
        # Two texts of a hundred are not something residents raise often.
        (_topic(["buss", "hållplats"], None, 0.0, size=2), [], False),
    ],
)
def test_what_counts_as_emerging(topic, named_by, emerging):
    texts.judge(topic, ["Parker", "Vägar", "Cykel"], sampled=100)

    assert (topic["named_by"], topic["emerging"]) == (named_by, emerging)


def test_a_capped_sample_is_found_again_by_its_cutoff_when_texts_are_added(
    dialogue, make_proposal, monkeypatch
):
    """A published report's words are checked later against the texts its sample took:
    texts added since push the plain sample's last ones out, but not those keyed up to
    the cutoff it recorded."""
    monkeypatch.setattr(texts, "SAMPLE_CAP", 25)
    first = texts.read_sample(dialogue.id)
    assert first.cutoff is not None
    assert texts.topics_section(dialogue)["parameters"]["sample_cutoff"] == first.cutoff
    for n in range(40):
        make_proposal(dialogue, title=f"Nytt förslag {n}", body="Om något helt annat")

    def named(sample):
        return {(t.kind, t.number, t.words) for t in sample.texts}

    assert not named(first) <= named(texts.read_sample(dialogue.id))  # the drift
    again = texts.read_sample(dialogue.id, up_to=first.cutoff)
    assert named(first) <= named(again) and again.cutoff == first.cutoff
    assert texts.read_sample(dialogue.id, up_to=None).cutoff is not None

"""A published report as moderation has it now: a proposal hidden after publishing is no
longer named on the page, in its files or in the API, and comes back when restored; a
redaction reaches every stored version and the published report, titles and words."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from sqlalchemy import select

from dialog.accounts.models import User
from dialog.api import openapi
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.moderation import services as moderation
from dialog.proposals.models import AnswerStatus, Proposal
from dialog.reports import as_moderated, services
from dialog.reports.compiling import compile_report, without_people
from dialog.reports.models import Report
from tests.support import compiled_by_its_planner, log_in, post_form, run_task

VOTING = (("proposals", -48, -1), ("voting", -1, 24), ("result", 24, None))
SECRET_TITLE = "Gungor hos Zebulon Quist"
SECRET_WORD = "zebulonsson"
# A name only comments use: under the secret proposal, and under a shown one.
COMMENTED_WORD = "quistlund"
DELETED_WORD = "bergfalkén"
PARKS = ("Gungor och lekplats", "Fler träd i parken", "Bänkar vid lekplatsen")
STREETS = ("Cykelbana längs ån", "Trafikljus vid skolan", "Säkrare korsning vid torget")


@pytest.fixture
def published(
    app, committed_db, make_dialogue, make_user, make_proposal, make_comment, cast_vote, make_answer
):
    """A published version 1 whose ranking, answers and topic examples name the secret
    title, and whose theme words hold a name the proposal repeats, one a comment under
    it repeats and one a comment under another proposal repeats."""
    dialogue = make_dialogue("synlig", phases=VOTING, themes=["Parker", "Trafik"])
    people = [make_user(display_name=f"Boende {n}") for n in range(6)]
    secret = make_proposal(
        dialogue,
        people[0],
        title=SECRET_TITLE,
        theme="Parker",
        body=f"Gungor och lekplats, säger {SECRET_WORD}; {SECRET_WORD} vill ha träd. "
        f"Fråga {SECRET_WORD}.",
    )
    for n in range(24):
        title = (PARKS if n % 2 else STREETS)[n % 3]
        make_proposal(
            dialogue,
            people[n % 6],
            title=f"{title} {n}",
            theme="Parker" if n % 2 else "Trafik",
            body=f"{title}: lekplats, träd och gungor" if n % 2 else f"{title}: cykel och trafik",
        )
    for person in people:
        cast_vote(secret, person)
    make_comment(secret, people[1], f"{COMMENTED_WORD} {COMMENTED_WORD} {COMMENTED_WORD}")
    other = make_proposal(dialogue, people[2], title="Parkbänkar", theme="Parker", body="Bänkar")
    make_comment(other, people[3], f"{DELETED_WORD} {DELETED_WORD} {DELETED_WORD} i parken")
    admin = make_user(role="admin")
    make_answer(secret, admin, status=AnswerStatus.accepted, body="Vi bygger gungorna i vår.")
    planner = make_user(role="planner", email="pia@example.org")
    report_id = compiled_by_its_planner(app, dialogue, planner)
    client = app.test_client()
    log_in(client, "pia@example.org")
    post_form(client, "/d/synlig/reports/1/publish", {}, form_path="/d/synlig/reports/1")
    return dialogue, secret.id, planner.id, report_id


def _everything_residents_read(app) -> str:
    """The page, the three files and the API, as one text."""
    visitor = app.test_client()
    texts = [
        visitor.get("/d/synlig/what-we-heard").get_data(as_text=True),
        visitor.get("/d/synlig/what-we-heard.json").get_data(as_text=True),
        visitor.get("/api/v1/dialogues/synlig/report").get_data(as_text=True),
    ]
    book = load_workbook(io.BytesIO(visitor.get("/d/synlig/what-we-heard.xlsx").data))
    texts += [
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    ]
    with zipfile.ZipFile(io.BytesIO(visitor.get("/d/synlig/what-we-heard.csv").data)) as files:
        texts += [files.read(name).decode("utf-8-sig") for name in files.namelist()]
    return "\n".join(texts)


def _stale(app) -> list[int]:
    with app.app_context():
        return as_moderated.stale_published_ids()


def _published_id(app, dialogue_id: int) -> int:
    with app.app_context():
        return services.published_report(dialogue_id).id


def _redact_the_name(app, secret_id: int, planner_id: int, body="Gungor och lekplats.") -> None:
    _moderate(
        app,
        moderation.redact,
        secret_id,
        planner_id,
        reason="Personuppgifter",
        title="Gungor",
        body=body,
    )


def _published_words(app, dialogue_id: int) -> dict[str, list[str]]:
    with app.app_context():
        content = services.published_report(dialogue_id).content
    return {t["name"]: [w["word"] for w in t["words"]] for t in content["words"]["themes"]}


def _moderate(app, action, proposal_id: int, planner_id: int, **fields) -> None:
    with app.app_context():
        action(db.session.get(Proposal, proposal_id), by=db.session.get(User, planner_id), **fields)
        db.session.commit()


def test_a_proposal_hidden_after_publishing_is_named_nowhere_and_comes_back_when_restored(
    app, published
):
    dialogue, secret_id, planner_id, _ = published
    words_before = _published_words(app, dialogue.id)
    before = _everything_residents_read(app)
    assert before.count(SECRET_TITLE) >= 5  # page, the two JSONs, the XLSX and the CSV
    assert SECRET_WORD in before and "Vi bygger gungorna i vår." in before
    assert COMMENTED_WORD in before

    _moderate(app, moderation.hide, secret_id, planner_id, reason="Namnger en granne")
    # At once, before the worker comes to it: neither its title nor its answer.
    after = _everything_residents_read(app)
    assert SECRET_TITLE not in after and "Vi bygger gungorna i vår." not in after
    page = app.test_client().get("/d/synlig/what-we-heard").get_data(as_text=True)
    assert "(visas inte längre)" in page
    api = app.test_client().get("/api/v1/dialogues/synlig/report").get_json()
    assert [(a["title"], a["answer"]) for a in api["report"]["answers"]] == [(None, None)]
    Draft202012Validator(openapi.SCHEMAS["PublishedReport"]).validate(api)  # null allowed
    # Then the sweep: the words only it (and the comments under it) used go; those the
    # shown texts use enough stay.
    assert _stale(app) == [_published_id(app, dialogue.id)]
    assert run_task(app, "reports.check_published_words") == 1
    assert _stale(app) == []  # checked against the texts as they are now
    after = _everything_residents_read(app)
    assert SECRET_WORD not in after and COMMENTED_WORD not in after
    words_after = _published_words(app, dialogue.id)
    assert words_after["Trafik"] == words_before["Trafik"]
    assert SECRET_WORD in words_before["Parker"] and SECRET_WORD not in words_after["Parker"]
    assert {"lekplats", "gungor"} <= set(words_after["Parker"])  # the other parks use them

    _moderate(app, moderation.restore, secret_id, planner_id)
    restored = _everything_residents_read(app)
    assert SECRET_TITLE in restored and "Vi bygger gungorna i vår." in restored


def test_a_redaction_reaches_every_stored_version_and_the_published_report(app, published, mailbox):
    dialogue, secret_id, planner_id, report_id = published
    with app.app_context():
        stored = db.session.get(Report, report_id).content
    assert SECRET_TITLE in json.dumps(stored, ensure_ascii=False)
    theme_words = {w["word"] for t in stored["words"]["themes"] for w in t["words"]}
    assert SECRET_WORD in theme_words  # else the test below could not fail

    _redact_the_name(
        app, secret_id, planner_id, "Gungor och lekplats, säger [borttaget]; hen vill ha träd."
    )
    assert mailbox.deliver() >= 1  # the worker's part: reports.forget_redacted

    with app.app_context():
        version = db.session.get(Report, report_id).content
        public = services.published_report(dialogue.id).content
    for content in (version, public):
        text = json.dumps(content, ensure_ascii=False)
        assert SECRET_TITLE not in text and SECRET_WORD not in text.lower()
        assert [a["title"] for a in content.get("answers", [])] in ([], ["Gungor"])
    ranked = {p["reference"]: p["title"] for p in version["proposals"]["most_supported"]}
    assert "Gungor" in ranked.values()
    # Only the words taken out go: the theme keeps the rest of its words.
    assert {w["word"] for t in version["words"]["themes"] for w in t["words"]} == (
        theme_words - {SECRET_WORD}
    )
    assert SECRET_TITLE not in _everything_residents_read(app)


def test_a_new_reference_prefix_keeps_the_titles_and_a_later_redaction_still_reaches_them(
    app, published, mailbox
):
    dialogue, secret_id, planner_id, report_id = published
    with app.app_context():
        db.session.get(Dialogue, dialogue.id).reference_prefix = "ZZ"
        db.session.commit()
    page = app.test_client().get("/d/synlig/what-we-heard").get_data(as_text=True)
    assert SECRET_TITLE in page and "(visas inte längre)" not in page

    _redact_the_name(app, secret_id, planner_id)
    mailbox.deliver()
    with app.app_context():
        version = db.session.get(Report, report_id).content
        public = services.published_report(dialogue.id).content
    assert SECRET_TITLE not in json.dumps([version, public], ensure_ascii=False)


def test_a_redaction_decided_while_a_version_compiles_is_in_it_when_stored(app, published):
    """The worker read its snapshot before the redaction; the version stored after it
    must not bring the words back."""
    dialogue, secret_id, planner_id, _ = published
    with app.app_context():
        report = services.request_report(
            db.session.get(Dialogue, dialogue.id), by=db.session.get(User, planner_id)
        )
        db.session.commit()
        report_id = report.id
        assert services.start(report_id)
        db.session.commit()
        content = without_people(compile_report(db.session.get(Dialogue, dialogue.id)))
        db.session.rollback()
    assert SECRET_TITLE in json.dumps(content, ensure_ascii=False)

    _redact_the_name(app, secret_id, planner_id)
    with app.app_context():
        services.finish(db.session.get(Report, report_id), content)
        db.session.commit()
        stored = json.dumps(db.session.get(Report, report_id).content, ensure_ascii=False)
    assert SECRET_TITLE not in stored and SECRET_WORD not in stored.lower()
    assert '"Gungor"' in stored


def test_publishing_again_brings_back_no_word_of_what_was_hidden_since_compiling(app, published):
    dialogue, secret_id, planner_id, _ = published
    _moderate(app, moderation.hide, secret_id, planner_id, reason="Namnger en granne")
    run_task(app, "reports.check_published_words")
    planner = app.test_client()
    log_in(planner, "pia@example.org")
    post_form(planner, "/d/synlig/reports/1/publish", {}, form_path="/d/synlig/reports/1")

    after = _everything_residents_read(app)
    assert SECRET_WORD not in after and COMMENTED_WORD not in after
    assert "lekplats" in _published_words(app, dialogue.id)["Parker"]


def test_a_comment_its_author_deletes_takes_its_words_out_of_the_published_report(app, published):
    dialogue, *_ = published
    assert DELETED_WORD in _everything_residents_read(app)
    with app.app_context():
        from dialog.proposals import services as proposal_services
        from dialog.proposals.models import Comment

        comment = db.session.scalar(select(Comment).where(Comment.body.contains(DELETED_WORD)))
        proposal_services.delete_comment(comment, by=comment.author)
        db.session.commit()

    assert run_task(app, "reports.check_published_words") == 1
    assert DELETED_WORD not in _everything_residents_read(app)


def test_a_vote_after_publishing_does_not_make_the_words_be_read_again(
    app, published, make_user, cast_vote
):
    dialogue, secret_id, *_ = published
    assert _stale(app) == []  # checked when it was published
    with app.app_context():
        proposal = db.session.get(Proposal, secret_id)
    cast_vote(proposal, make_user())
    assert _stale(app) == []
    assert run_task(app, "reports.check_published_words") == 0

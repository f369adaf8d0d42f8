"""Pre-moderation, the moderators' queue and their actions, review requests, blocks and
the redacted originals: each with what it does to pages, lists, counts and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dialog.accounts.models import User
from dialog.core.models import AuditEntry, OutboxEvent
from dialog.core.permissions import Refused
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.moderation import services
from dialog.moderation.models import Block, FlagReason, RedactedOriginal, ReviewRequest
from dialog.proposals import services as proposal_services
from dialog.proposals.models import Comment, Moderation, Proposal, Stance
from tests.factories import LIVE
from tests.support import in_threads, log_in, post_form, run_task


@pytest.fixture
def world(ctx, db, make_dialogue, make_user):
    dialogue = make_dialogue("granskas", phases=LIVE)
    planner = db.session.get(User, make_user(role="planner").id)
    dialogue_services.assign_planner(db.session.get(Dialogue, dialogue.id), planner, by=planner)
    db.session.commit()
    return db.session.get(Dialogue, dialogue.id), planner


def _get(db, model, item_id):
    db.session.expire_all()
    return db.session.get(model, item_id)


def _log_out(client):
    assert post_form(client, "/logout", {}, form_path="/").status_code == 302


def _events(db, kind):
    return db.session.scalars(select(OutboxEvent.key).where(OutboxEvent.kind == kind)).all()


def test_a_premoderated_proposal_waits_for_approval_seen_only_by_its_author(
    client, db, world, make_user
):
    dialogue, planner = world
    dialogue.premoderate_proposals = True
    db.session.commit()
    author = make_user()
    proposal = proposal_services.create_proposal(
        dialogue,
        author=db.session.get(User, author.id),
        title="Väntande bänkar",
        body="Fler bänkar",
    )
    db.session.commit()
    assert proposal.moderation is Moderation.pending
    assert _events(db, "proposal_created") == [] and len(_events(db, "content_pending")) == 1
    for path in ("/d/granskas/proposals", "/api/v1/dialogues/granskas/proposals"):
        assert "Väntande bänkar" not in client.get(path).get_data(as_text=True), path
    assert client.get(f"/p/{proposal.id}").status_code == 404
    assert log_in(client, author.email).status_code == 302
    assert "Väntar på granskning" in client.get(f"/p/{proposal.id}").get_data(as_text=True)
    own = client.get("/me").get_data(as_text=True)
    assert "Väntande bänkar" in own and "Väntar på granskning" in own

    services.approve(proposal, by=planner)
    db.session.commit()
    _log_out(client)
    assert "Väntande bänkar" in client.get("/d/granskas/proposals").get_data(as_text=True)
    assert _events(db, "proposal_created") == [f"proposal:{proposal.id}:created"]


def test_a_premoderated_comment_counts_only_once_approved(db, world, make_user, make_proposal):
    dialogue, planner = world
    dialogue.premoderate_comments = True
    db.session.commit()
    proposal = make_proposal(dialogue, author=make_user(), title="Torget", body="Träd")
    comment = proposal_services.add_comment(
        _get(db, Proposal, proposal.id),
        author=db.session.get(User, make_user().id),
        body="Bra",
        stance=Stance.for_,
    )
    db.session.commit()
    assert comment.moderation is Moderation.pending
    assert _get(db, Proposal, proposal.id).comment_count == 0
    services.approve(_get(db, Comment, comment.id), by=planner)
    db.session.commit()
    assert _get(db, Proposal, proposal.id).comment_count == 1
    assert _events(db, "comment_added") == [f"comment:{comment.id}:added"]


def test_a_screened_word_sends_an_item_to_premoderation_where_the_dialogue_screens(
    client, db, world, make_user, make_proposal, admin
):
    dialogue, _planner = world
    assert log_in(client, admin.email).status_code == 302
    assert post_form(client, "/admin/moderation/words", {"word": "Idiot"}).status_code == 302
    again = post_form(client, "/admin/moderation/words", {"word": "idiot"})
    assert again.status_code == 400 and "finns redan" in again.get_data(as_text=True)
    assert post_form(client, "/admin/moderation/words", {"word": "två ord"}).status_code == 400
    proposal = make_proposal(dialogue, author=make_user(), title="Parken", body="Gräs")

    def comment(body):
        return proposal_services.add_comment(
            _get(db, Proposal, proposal.id),
            author=db.session.get(User, make_user().id),
            body=body,
            stance=Stance.neutral,
        ).moderation

    assert comment("Idioterna som planerade") is Moderation.shown  # not screened yet
    _get(db, Dialogue, dialogue.id).screen_words = True
    assert comment("IDIOTERNA som planerade") is Moderation.pending
    assert comment("En vanlig kommentar") is Moderation.shown


def _flagged_world(db, dialogue, make_user, make_proposal, make_comment):
    author = make_user()
    few = make_proposal(dialogue, author=author, title="Få rapporter", body="Text")
    many = make_proposal(dialogue, author=make_user(), title="Många rapporter", body="Text")
    comment = make_comment(many, author, body="Ring 070-1234567")
    for item, count in ((few, 1), (many, 2), (comment, 1)):
        for _ in range(count):
            services.flag(
                _get(db, type(item), item.id),
                by=db.session.get(User, make_user().id),
                reason=FlagReason.personal_data if item is comment else FlagReason.spam,
                text=None,
            )
            db.session.commit()
    return author, few, many, comment


def test_the_queue_shows_most_flags_first_to_the_dialogues_moderators_only(
    client, db, world, make_user, make_proposal, make_comment, make_dialogue
):
    dialogue, planner = world
    _author, few, many, comment = _flagged_world(
        db, dialogue, make_user, make_proposal, make_comment
    )
    assert log_in(client, planner.email).status_code == 302
    page = client.get("/moderation/").get_data(as_text=True)
    assert page.index("Många rapporter") < page.index("Få rapporter")
    assert "070-1234567" in page and "3 objekt" in page
    by_reason = client.get("/moderation/?reason=personal_data").get_data(as_text=True)
    assert "070-1234567" in by_reason and "Få rapporter" not in by_reason
    assert client.get("/moderation/?state=bogus").status_code == 400

    other = make_user(role="planner")
    elsewhere = make_dialogue("annan")
    dialogue_services.assign_planner(
        _get(db, Dialogue, elsewhere.id), db.session.get(User, other.id), by=planner
    )
    db.session.commit()
    assert log_in(client, other.email).status_code == 302
    assert "Många rapporter" not in client.get("/moderation/").get_data(as_text=True)
    assert client.get(f"/moderation/items/p{many.id}").status_code == 403
    assert log_in(client, make_user().email).status_code == 302
    assert client.get("/moderation/").status_code == 403


def test_hiding_shows_the_reason_in_place_tells_the_author_and_is_audited(
    client, db, world, make_user, make_proposal, make_comment
):
    dialogue, planner = world
    _author, _few, many, comment = _flagged_world(
        db, dialogue, make_user, make_proposal, make_comment
    )
    assert client.get(f"/p/{many.id}").status_code == 200  # the page is in the cache now
    assert log_in(client, planner.email).status_code == 302
    path = f"/moderation/items/c{comment.id}"
    offered = client.get(path).get_data(as_text=True)
    for action in ("dismiss", "hide", "redact", "block"):
        assert f'action="{path}/{action}"' in offered, action
    for action in ("approve", "restore"):  # a shown comment is neither pending nor hidden
        assert f'action="{path}/{action}"' not in offered, action
    assert "Avvisa rapporterna" in offered and "Personuppgifter om någon" in offered
    empty = post_form(client, path + "/hide", {"hide-reason": " "}, form_path=path)
    assert empty.status_code == 400 and "Ange skälet" in empty.get_data(as_text=True)
    done = post_form(client, path + "/hide", {"hide-reason": "Telefonnummer"}, form_path=path)
    assert done.status_code == 302
    stored = _get(db, Comment, comment.id)
    assert (stored.moderation, stored.moderation_reason, stored.open_flags) == (
        Moderation.hidden,
        "Telefonnummer",
        0,
    )
    assert _get(db, Proposal, many.id).comment_count == 0
    _log_out(client)
    page = client.get(f"/p/{many.id}").get_data(as_text=True)
    assert "Dolt av moderator: Telefonnummer" in page and "070-1234567" not in page
    assert (
        db.session.scalar(
            select(func.count()).where(
                AuditEntry.action == "moderation.hide", AuditEntry.reason == "Telefonnummer"
            )
        )
        == 1
    )
    assert len(_events(db, "content_moderated")) == 1

    services.restore(_get(db, Comment, comment.id), by=planner)
    db.session.commit()
    assert "070-1234567" in client.get(f"/p/{many.id}").get_data(as_text=True)
    assert _get(db, Proposal, many.id).comment_count == 1


def test_a_moderator_cannot_act_on_their_own_content_nor_twice(db, world, make_user, make_proposal):
    dialogue, planner = world
    own = make_proposal(dialogue, author=planner, title="Planerarens", body="Text")
    with pytest.raises(Refused) as refused:
        services.hide(_get(db, Proposal, own.id), by=planner, reason="Nej")
    assert refused.value.decision.reason == "moderate_own"
    other = make_proposal(dialogue, author=make_user(), title="Annans", body="Text")
    services.hide(_get(db, Proposal, other.id), by=planner, reason="Reklam")
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.hide(_get(db, Proposal, other.id), by=planner, reason="Igen")
    assert refused.value.decision.reason == "action_not_applicable"


def test_two_moderators_hiding_at_once_decide_once(
    app, committed_db, make_dialogue, make_user, make_proposal
):
    db = committed_db
    dialogue = make_dialogue("samtidigt", phases=LIVE)
    proposal = make_proposal(dialogue, author=make_user(), title="Omstridd", body="Text")
    admins = [make_user(role="admin") for _ in range(4)]

    def hide(index):
        services.hide(
            db.session.get(Proposal, proposal.id),
            by=db.session.get(User, admins[index].id),
            reason=f"Skäl {index}",
        )
        db.session.commit()
        return "ok"

    outcomes = in_threads(app, len(admins), hide)
    assert outcomes.count("ok") == 1 and set(outcomes) == {"ok", "action_not_applicable"}
    with app.app_context():
        hides = select(func.count()).where(AuditEntry.action == "moderation.hide")
        assert db.session.scalar(hides) == 1


def test_a_redaction_keeps_the_original_apart_until_purged_and_a_review_can_reverse_it(
    app, client, db, world, make_user, make_proposal, admin
):
    dialogue, planner = world
    author = make_user()
    proposal = make_proposal(dialogue, author=author, title="Grannen", body="Ring Eva på 070-1")
    decision = services.redact(
        _get(db, Proposal, proposal.id),
        by=planner,
        reason="Ett telefonnummer",
        body="Ring [borttaget]",
    )
    db.session.commit()
    assert _get(db, Proposal, proposal.id).body == "Ring [borttaget]"
    [original] = db.session.scalars(select(RedactedOriginal))
    assert (original.field, original.text) == ("body", "Ring Eva på 070-1")
    logged = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "moderation.redact"))
    assert "070-1" not in str(logged.details) and "070-1" not in (logged.reason or "")
    assert "070-1" not in client.get(f"/p/{proposal.id}").get_data(as_text=True)

    assert log_in(client, author.email).status_code == 302
    own = client.get("/me").get_data(as_text=True)
    assert f"/moderation/decisions/{decision.id}/review" in own
    review_path = f"/moderation/decisions/{decision.id}/review"
    assert post_form(client, review_path, {"reason": " "}).status_code == 400
    assert post_form(client, review_path, {"reason": "Det är mitt eget nummer"}).status_code == 302
    assert client.get(review_path).status_code == 403  # once per decision
    [request] = db.session.scalars(select(ReviewRequest))

    with pytest.raises(Refused) as refused:  # not by the moderator who decided
        services.decide_review(
            request, _get(db, Proposal, proposal.id), by=planner, reverse=True, reason="x"
        )
    assert refused.value.decision.reason == "review_own_decision"
    assert log_in(client, admin.email).status_code == 302
    path = f"/moderation/items/p{proposal.id}"
    assert "Det är mitt eget nummer" in client.get(path).get_data(as_text=True)
    reviewed = post_form(
        client,
        path + "/review",
        {"review-outcome": "reverse", "review-reason": "Eget nummer"},
        form_path=path,
    )
    assert reviewed.status_code == 302
    assert _get(db, Proposal, proposal.id).body == "Ring Eva på 070-1"
    assert (
        db.session.scalar(
            select(func.count()).where(AuditEntry.action == "moderation.review_decided")
        )
        == 1
    )

    # Kept for AUDIT_PII_RETENTION_DAYS, then deleted by the periodic task.
    purge = "moderation.purge_redacted_originals"
    assert run_task(app, purge) == 0
    original = db.session.get(RedactedOriginal, original.id)
    original.created_at -= timedelta(days=app.config["AUDIT_PII_RETENTION_DAYS"] + 1)
    db.session.commit()
    assert run_task(app, purge) == 1
    assert db.session.scalar(select(func.count()).select_from(RedactedOriginal)) == 0
    # A second redaction, reviewed after its words were purged, cannot be undone: said so.
    again = services.redact(
        _get(db, Proposal, proposal.id), by=planner, reason="Igen", body="Ring [borttaget]"
    )
    services.purge_redacted_originals(-1)
    late = ReviewRequest(decision_id=again.id, requested_by_id=author.id, reason="Ångrar")
    db.session.add(late)
    db.session.commit()
    with pytest.raises(Refused) as refused:
        services.decide_review(
            late,
            _get(db, Proposal, proposal.id),
            by=db.session.get(User, admin.id),
            reverse=True,
            reason="Ja",
        )
    assert refused.value.decision.reason == "originals_purged"


def test_a_blocked_author_cannot_take_part_in_that_dialogue_until_the_block_ends(
    client, db, world, make_user, make_proposal, make_dialogue
):
    dialogue, planner = world
    author = make_user()
    proposal = make_proposal(dialogue, author=author, title="Spam", body="Köp")
    path = f"/moderation/items/p{proposal.id}"
    assert log_in(client, planner.email).status_code == 302
    refused = post_form(
        client, path + "/block", {"block-days": "0", "block-reason": "Spam"}, form_path=path
    )
    assert refused.status_code == 400
    blocked = post_form(
        client, path + "/block", {"block-days": "7", "block-reason": "Spam"}, form_path=path
    )
    assert blocked.status_code == 302
    assert log_in(client, author.email).status_code == 302
    answer = post_form(
        client,
        f"/p/{proposal.id}/comments",
        {"body": "Igen", "stance": "neutral"},
        form_path=f"/p/{proposal.id}",
    )
    assert answer.status_code == 403
    assert "stoppat dig från att delta i den här dialogen" in answer.get_data(as_text=True)
    elsewhere = make_proposal(
        make_dialogue("fri", phases=LIVE), author=make_user(), title="Fri", body="Text"
    )
    free = post_form(
        client,
        f"/p/{elsewhere.id}/comments",
        {"body": "Här går det", "stance": "neutral"},
        form_path=f"/p/{elsewhere.id}",
    )
    assert free.status_code == 302
    block = db.session.scalar(select(Block))
    block.ends_at -= timedelta(days=8)
    db.session.commit()
    again = post_form(
        client,
        f"/p/{proposal.id}/comments",
        {"body": "Nu igen", "stance": "neutral"},
        form_path=f"/p/{proposal.id}",
    )
    assert again.status_code == 302


def test_bulk_actions_do_what_they_may_and_skip_the_rest(
    client, db, world, make_user, make_proposal, make_comment
):
    dialogue, planner = world
    _author, few, many, comment = _flagged_world(
        db, dialogue, make_user, make_proposal, make_comment
    )
    own = make_proposal(dialogue, author=planner, title="Egen", body="Text")
    assert log_in(client, planner.email).status_code == 302
    keys = [f"p{few.id}", f"p{many.id}", f"p{own.id}", "x1", "p99999999"]
    missing = post_form(
        client, "/moderation/bulk", {"items": keys, "action": "hide"}, form_path="/moderation/"
    )
    assert missing.status_code == 302 and _get(db, Proposal, few.id).is_shown  # no reason given
    done = post_form(
        client,
        "/moderation/bulk",
        {"items": keys, "action": "hide", "reason": "Reklam"},
        form_path="/moderation/",
        follow_redirects=True,
    )
    assert "2 ärenden klara, 1 lämnat som det var." in done.get_data(as_text=True)
    assert [_get(db, Proposal, p.id).moderation for p in (few, many, own)] == [
        Moderation.hidden,
        Moderation.hidden,
        Moderation.shown,
    ]
    assert _get(db, Comment, comment.id).is_shown


def test_the_moderation_history_is_the_audit_log_filtered_and_exports_safe_csv(
    client, db, world, make_user, make_proposal, admin
):
    dialogue, planner = world
    proposal = make_proposal(dialogue, author=make_user(), title="Formel", body="Text")
    services.hide(_get(db, Proposal, proposal.id), by=planner, reason='=HYPERLINK("http://x")')
    db.session.commit()
    assert log_in(client, admin.email).status_code == 302
    page = client.get("/admin/audit/?area=moderation").get_data(as_text=True)
    assert "moderation.hide" in page and "login_succeeded" not in page
    exported = post_form(
        client, "/admin/audit/export", {"area": "moderation"}, form_path="/admin/audit/"
    )
    text = exported.get_data(as_text=True)
    assert "moderation.hide" in text and "'=HYPERLINK" in text


@pytest.mark.parametrize("path", ["/moderation/", "/moderation/items/p{first}", "/me"])
def test_moderation_pages_cost_a_fixed_number_of_queries(
    client, db, world, make_user, make_proposal, make_comment, count_queries, path
):
    dialogue, planner = world
    author = make_user()

    def reported(count):
        items = []
        for n in range(count):
            proposal = make_proposal(dialogue, author=author, title=f"Förslag {n}", body="Text")
            comment = make_comment(proposal, author, body=f"Kommentar {n}")
            for item in (proposal, comment):
                services.flag(
                    _get(db, type(item), item.id),
                    by=db.session.get(User, make_user().id),
                    reason=FlagReason.spam,
                    text=None,
                )
                db.session.commit()
            services.hide(_get(db, Comment, comment.id), by=planner, reason="Spam")
            db.session.commit()
            items.append(proposal)
        return items

    first = reported(1)[0]
    who = author if path == "/me" else planner
    assert log_in(client, who.email).status_code == 302
    target = path.format(first=first.id)
    db.session.expire_all()  # as after the commits below: the person is read again
    with count_queries() as few:
        assert client.get(target).status_code == 200
    reported(6)
    db.session.expire_all()
    with count_queries() as many:
        assert client.get(target).status_code == 200
    assert few.count == many.count, (few.statements, many.statements)


def test_an_administrator_sets_a_dialogues_moderation_in_its_settings(
    client, db, world, admin, make_proposal
):
    dialogue, _planner = world
    proposal = make_proposal(dialogue, title="Bänk", body="Text")
    assert log_in(client, admin.email).status_code == 302
    path = f"/admin/dialogues/{dialogue.id}/edit"
    form = {
        "title": "Granskad dialog",
        "summary": "Om torget.",
        "visibility": "public",
        "vote_mode": "for_against",
        "vote_counts": "live",
        "premoderate_comments": "y",
        "screen_words": "y",
    }
    refused = post_form(client, path, {**form, "flag_threshold": "0"})
    page = refused.get_data(as_text=True)  # the form again, with the error beside the field
    assert _get(db, Dialogue, dialogue.id).flag_threshold == 3
    assert "Ange ett antal rapporter från 1 till 100." in page and "Granskad dialog" in page
    assert post_form(client, path, {**form, "flag_threshold": "5"}).status_code == 302
    stored = _get(db, Dialogue, dialogue.id)
    assert (stored.flag_threshold, stored.premoderate_proposals, stored.premoderate_comments) == (
        5,
        False,
        True,
    )
    assert stored.screen_words
    # The comment form says a moderator reads it first, and links the code of conduct.
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert "En moderator läser det innan det visas" in page and 'href="/code-of-conduct"' in page


def test_an_edit_cannot_undo_a_moderator_and_is_screened_again(
    client, db, world, make_user, make_comment, make_proposal
):
    dialogue, planner = world
    author = make_user()
    proposal = make_proposal(dialogue, author=make_user(), title="Torget", body="Träd")
    redacted = make_comment(proposal, author, body="Ring Eva på 070-1")
    services.redact(_get(db, Comment, redacted.id), by=planner, reason="Nummer", body="Ring Eva")
    plain = make_comment(proposal, author, body="Fint förslag")
    services.add_screened_word("idiot", by=planner)
    _get(db, Dialogue, dialogue.id).screen_words = True
    db.session.commit()
    assert log_in(client, author.email).status_code == 302
    undo = post_form(
        client, f"/c/{redacted.id}/edit", {"body": "Ring Eva på 070-1", "stance": "neutral"}
    )
    assert undo.status_code == 403 and "En moderator har dolt eller ändrat" in undo.get_data(
        as_text=True
    )
    assert _get(db, Comment, redacted.id).body == "Ring Eva"
    count = _get(db, Proposal, proposal.id).comment_count
    edited = post_form(
        client, f"/c/{plain.id}/edit", {"body": "Idioter planerade", "stance": "neutral"}
    )
    assert edited.status_code == 302
    assert _get(db, Comment, plain.id).moderation is Moderation.pending
    assert _get(db, Proposal, proposal.id).comment_count == count - 1
    assert len(_events(db, "content_pending")) == 1


def test_an_item_let_through_by_a_redaction_is_announced_to_followers(
    db, world, make_user, make_proposal
):
    dialogue, planner = world
    dialogue.premoderate_proposals = True
    db.session.commit()
    proposal = proposal_services.create_proposal(
        dialogue, author=db.session.get(User, make_user().id), title="Eva", body="Eva 070-1"
    )
    db.session.commit()
    services.redact(proposal, by=planner, reason="Nummer", body="Eva", title="  ")
    db.session.commit()
    stored = _get(db, Proposal, proposal.id)
    assert (stored.moderation, stored.title, stored.body) == (Moderation.shown, "Eva", "Eva")
    assert _events(db, "proposal_created") == [f"proposal:{proposal.id}:created"]


def test_two_reviewers_at_once_decide_a_review_once(
    app, committed_db, make_dialogue, make_user, make_proposal
):
    db = committed_db
    dialogue = make_dialogue("omprovning", phases=LIVE)
    author = make_user()
    proposal = make_proposal(dialogue, author=author, title="Reklam?", body="Text")
    admins = [make_user(role="admin") for _ in range(4)]
    with app.app_context():
        hid = services.hide(
            db.session.get(Proposal, proposal.id), by=db.session.get(User, admins[0].id), reason="R"
        )
        services.request_review(hid, by=db.session.get(User, author.id), reason="Nej")
        db.session.commit()

    def review(index):
        request = db.session.scalar(select(ReviewRequest))
        services.decide_review(
            request,
            db.session.get(Proposal, proposal.id),
            by=db.session.get(User, admins[index + 1].id),
            reverse=True,
            reason=f"Granskare {index}",
        )
        db.session.commit()
        return "ok"

    outcomes = in_threads(app, 3, review)
    assert outcomes.count("ok") == 1, outcomes
    with app.app_context():
        decided = select(func.count()).where(AuditEntry.action == "moderation.review_decided")
        assert db.session.scalar(decided) == 1
        assert db.session.get(Proposal, proposal.id).moderation is Moderation.shown


@pytest.mark.parametrize("action", ["hide", "approve"])
def test_each_decision_shows_in_the_list_search_api_and_counts(
    client, db, world, make_user, make_proposal, action
):
    dialogue, planner = world
    if action == "approve":
        _get(db, Dialogue, dialogue.id).premoderate_proposals = True
        db.session.commit()
    proposal = proposal_services.create_proposal(
        _get(db, Dialogue, dialogue.id),
        author=db.session.get(User, make_user().id),
        title="Solpaneler vid biblioteket",
        body="Taket är stort",
    )
    db.session.commit()
    places = (
        "/d/granskas/proposals",
        "/d/granskas/proposals?q=solpaneler",
        "/api/v1/dialogues/granskas/proposals",
        f"/api/v1/proposals/{proposal.id}",
    )

    def seen() -> list[bool]:
        return [
            "Solpaneler vid biblioteket" in client.get(path).get_data(as_text=True)
            for path in places
        ]

    def counted() -> int:
        return client.get("/api/v1/dialogues/granskas/proposals").get_json()["total"]

    before, count_before = seen(), counted()
    item = _get(db, Proposal, proposal.id)
    if action == "hide":
        services.hide(item, by=planner, reason="Reklam")
    else:
        services.approve(item, by=planner)
    db.session.commit()
    after, count_after = seen(), counted()
    if action == "hide":
        assert before == [True] * 4 and after == [False] * 4
        services.restore(_get(db, Proposal, proposal.id), by=planner)
        db.session.commit()
        assert seen() == [True] * 4
    else:
        assert before == [False] * 4 and after == [True] * 4
    assert count_after - count_before == (-1 if action == "hide" else 1)

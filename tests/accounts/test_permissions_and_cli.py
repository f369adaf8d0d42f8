from flask_login import AnonymousUserMixin
from sqlalchemy import func, select

from dialog.accounts import permissions, services
from dialog.accounts.models import Role, User
from dialog.core.db import utcnow
from dialog.dialogues.models import Dialogue
from dialog.proposals.models import Comment, Moderation, OfficialAnswer, Proposal, Stance, Vote


def test_contributing_needs_a_login_and_a_confirmed_address(ctx, make_user):
    anonymous = AnonymousUserMixin()
    assert permissions.can_contribute(anonymous).reason == "login_required"
    unverified = make_user(verified=False)
    decision = permissions.can_contribute(unverified)
    assert not decision and decision.reason == "email_unverified"
    assert "bekräfta" in decision.message.lower()
    assert permissions.can_contribute(make_user())


def test_unverified_people_may_follow(ctx, make_user):
    assert permissions.can_follow(make_user(verified=False))
    assert permissions.can_follow(AnonymousUserMixin()).reason == "login_required"


def test_production_hashes_with_owasps_argon2id_profile(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "ARGON2_MEMORY_KIB", 19 * 1024)
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", 2)
    assert services.hash_password("a long passphrase").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_create_user_command_makes_a_confirmed_admin(app, db, monkeypatch):
    monkeypatch.setenv("DIALOG_USER_PASSWORD", "a long admin passphrase")
    result = app.test_cli_runner().invoke(args=["create-user", "Chef@Kommun.se", "--role", "admin"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "chef@kommun.se"))
        assert user.role is Role.admin and user.is_verified
    again = app.test_cli_runner().invoke(args=["create-user", "chef@kommun.se"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_user_refuses_a_weak_password(app, db, monkeypatch):
    monkeypatch.setenv("DIALOG_USER_PASSWORD", "password")
    result = app.test_cli_runner().invoke(args=["create-user", "weak@kommun.se"])
    assert result.exit_code != 0 and "12 characters" in result.output


def test_seed_demo_creates_the_demo_dialogue_and_accounts_once(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    with app.app_context():
        emails = set(db.session.scalars(select(User.email)))
        assert {"resident@example.org", "planner@example.org", "admin@example.org"} <= emails
        assert (
            db.session.scalar(
                select(func.count()).select_from(User).where(User.role == Role.resident)
            )
            >= 41
        )
        districts = set(db.session.scalars(select(User.district).where(User.district.is_not(None))))
        assert len(districts) >= 5
        dialogue = db.session.scalar(
            select(Dialogue).where(Dialogue.slug == "framtidens-stadskarna")
        )
        assert dialogue.title == "Framtidens stadskärna" and "Marenplan" in dialogue.background
        for focus in ("tillgänglighet", "trygghet", "puls"):
            assert focus in dialogue.background
        proposals = db.session.scalars(
            select(Proposal).where(Proposal.dialogue_id == dialogue.id)
        ).all()
        assert len(proposals) >= 8
        assert sum(p.place_lat is not None for p in proposals) >= 5
        assert {c.stance for c in db.session.scalars(select(Comment))} >= {Stance.for_}
        # The planner's queue is not empty: reported items, and one comment already hidden.
        assert sum(p.open_flags > 0 for p in proposals) >= 2
        comments = db.session.scalars(
            select(Comment).where(Comment.proposal_id.in_([p.id for p in proposals]))
        ).all()
        assert any(c.open_flags for c in comments)
        assert [c.moderation_reason for c in comments if c.moderation is Moderation.hidden] == [
            "Reklam hör inte hemma i dialogen."
        ]
        phases = dialogue.phases
        now = utcnow()
        assert any(p.ends_at and p.ends_at < now for p in phases)
        assert dialogue.current_phase is not None
        assert sum(p.starts_at > now for p in phases) >= 2
        _demo_fits_its_schedule(db, now)
    second = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "not loaded" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Dialogue)) == 2


def _demo_fits_its_schedule(db, now):
    """Votes only where voting has opened, answers only where answers are given; the
    dialogue past voting carries both."""
    from dialog.dialogues.models import Capability

    for dialogue in db.session.scalars(select(Dialogue)):
        proposals = db.session.scalars(
            select(Proposal).where(Proposal.dialogue_id == dialogue.id)
        ).all()
        votes = db.session.scalar(
            select(func.count()).select_from(Vote).where(Vote.dialogue_id == dialogue.id)
        )
        answers = db.session.scalar(
            select(func.count())
            .select_from(OfficialAnswer)
            .join(Proposal, Proposal.id == OfficialAnswer.proposal_id)
            .where(Proposal.dialogue_id == dialogue.id)
        )
        voting_opened = any(
            p.starts_at <= now and p.allows(Capability.vote) for p in dialogue.phases
        )
        answering = dialogue.current_phase and dialogue.current_phase.allows(Capability.answer)
        assert votes == sum(p.total_votes for p in proposals)
        assert voting_opened or votes == 0, dialogue.slug
        assert answering or answers == 0, dialogue.slug
        if dialogue.slug == "trygga-strak-hovsjo":
            assert votes > 0 and answers >= 2


def test_demo_accounts_log_in_with_the_demo_password(app, client, db):
    from tests.support import post_form

    app.test_cli_runner().invoke(args=["seed-demo"])
    response = post_form(
        client, "/login", {"email": "planner@example.org", "password": "demo-password"}
    )
    assert response.status_code == 302


def test_seed_scale_makes_a_large_consistent_dialogue(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "seed-scale",
            "--proposals",
            "60",
            "--participants",
            "30",
            "--votes",
            "150",
            "--comments",
            "40",
            "--followers",
            "0",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        from dialog.proposals import queries as proposal_queries

        dialogue = db.session.scalar(select(Dialogue).where(Dialogue.slug == "skala"))
        proposals = db.session.scalars(
            select(Proposal).where(Proposal.dialogue_id == dialogue.id)
        ).all()
        assert len(proposals) == 60
        assert (
            sum(p.total_votes for p in proposals)
            == 150
            == db.session.scalar(select(func.count()).select_from(Vote))
        )
        page = proposal_queries.proposals_page(dialogue, proposal_queries.Filters(text="bänk"), 1)
        assert page.total > 0

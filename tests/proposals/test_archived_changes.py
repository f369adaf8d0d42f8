"""An archived dialogue is the record of what was said: authors can no longer change it."""

import pytest

from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue, DialogueState
from dialog.proposals import permissions
from dialog.proposals.models import Comment, Proposal
from tests.support import post_form

PROPOSING = (("proposals", -1, 24),)


@pytest.fixture
def archived(ctx, db, resident, make_dialogue, make_proposal, make_comment):
    """A proposal and a fresh comment by the resident, in a dialogue then archived."""
    dialogue = make_dialogue(phases=PROPOSING)
    proposal = make_proposal(dialogue, resident)
    comment = make_comment(proposal, resident)
    dialogue_services.set_state(
        db.session.get(Dialogue, dialogue.id), DialogueState.archived, by=None
    )
    db.session.commit()
    return db.session.get(Proposal, proposal.id), db.session.get(Comment, comment.id)


def test_the_rules_refuse_with_dialogue_archived(archived, resident):
    proposal, comment = archived
    assert permissions.can_withdraw(resident, proposal).reason == "dialogue_archived"
    assert permissions.can_delete_comment(resident, comment).reason == "dialogue_archived"
    assert permissions.can_edit_comment(resident, comment).reason == "dialogue_archived"


def test_the_author_cannot_withdraw_the_proposal(archived, client, db, login, resident):
    proposal, _ = archived
    login(resident)
    assert client.get(f"/p/{proposal.id}/withdraw").status_code == 403
    response = post_form(
        client,
        f"/p/{proposal.id}/withdraw",
        {"reason": "Ångrar mig"},
        form_path=f"/p/{proposal.id}",
    )
    assert response.status_code == 403
    assert "Dialogen är avslutad" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Proposal, proposal.id).is_withdrawn


def test_the_author_cannot_delete_or_edit_the_comment(archived, client, db, login, resident):
    proposal, comment = archived
    login(resident)
    deleted = post_form(client, f"/c/{comment.id}/delete", {}, form_path=f"/p/{proposal.id}")
    assert deleted.status_code == 403
    assert "Dialogen är avslutad" in deleted.get_data(as_text=True)
    assert client.get(f"/c/{comment.id}/edit").status_code == 403
    db.session.expire_all()
    assert not db.session.get(Comment, comment.id).is_deleted


def test_the_page_offers_no_withdraw_or_delete_buttons(archived, client, login, resident):
    proposal, comment = archived
    login(resident)
    page = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert f"/p/{proposal.id}/withdraw" not in page
    assert f"/c/{comment.id}/delete" not in page

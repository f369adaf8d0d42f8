"""Links that carry a token are made when the mail is sent, never stored in the outbox:
an outbox row (or a backup of it) holds no link that opens anything. A mail whose link
died meanwhile (an invitation withdrawn or renewed) is not sent."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from sqlalchemy import select

from dialog.accounts import privacy
from dialog.accounts import services as accounts
from dialog.accounts.models import User
from dialog.core.models import OutboxEvent
from dialog.dialogues import services as dialogues
from dialog.dialogues.models import Dialogue, Invitation
from dialog.extensions import db
from tests.support import first_link


def _payloads() -> str:
    return json.dumps([e.payload for e in db.session.scalars(select(OutboxEvent))])


def test_a_verification_link_is_made_at_sending_and_works(ctx, db, make_user, mailbox, client):
    person = db.session.get(User, make_user(verified=False, email="ny@example.org").id)
    assert accounts.send_verification(person)
    db.session.commit()
    assert "/verify/" not in _payloads()
    mailbox.deliver()
    link = first_link(mailbox.last("ny@example.org"))
    assert "/verify/" in link
    assert client.get(urlsplit(link).path).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person.id).email_verified_at is not None


def test_an_invitation_goes_in_the_invitees_language_and_not_at_all_once_withdrawn(
    ctx, db, make_dialogue, make_user, mailbox
):
    planner = db.session.get(User, make_user(role="admin").id)
    dialogue = db.session.get(Dialogue, make_dialogue("inbjuden").id)
    make_user(email="english@example.org", locale="en")
    dialogues.invite(
        dialogue, ["english@example.org", "svensk@example.org", "borta@example.org"], by=planner
    )
    db.session.commit()
    assert "/i/" not in _payloads()
    withdrawn = db.session.scalar(select(Invitation).where(Invitation.email == "borta@example.org"))
    dialogues.revoke_invitation(withdrawn, by=planner)
    db.session.commit()
    mailbox.deliver()
    assert mailbox.last("english@example.org")["Content-Language"] == "en"
    assert mailbox.last("svensk@example.org")["Content-Language"] == "sv"
    assert mailbox.messages("borta@example.org") == []
    assert "/i/" in first_link(mailbox.last("english@example.org"))


def test_a_renewed_invitation_leaves_only_the_new_link_to_be_sent(
    ctx, db, make_dialogue, make_user, mailbox
):
    planner = db.session.get(User, make_user(role="admin").id)
    dialogue = db.session.get(Dialogue, make_dialogue("fornyad").id)
    [invitation] = dialogues.invite(dialogue, ["igen@example.org"], by=planner)
    db.session.commit()
    dialogues.revoke_invitation(invitation, by=planner)
    dialogues.invite(dialogue, ["igen@example.org"], by=planner)
    db.session.commit()
    mailbox.deliver()
    [message] = mailbox.messages("igen@example.org")
    token = urlsplit(first_link(message)).path.rsplit("/", 1)[-1]
    assert dialogues.invitation_for_token(token).id == invitation.id


def test_a_data_export_link_is_made_at_sending(ctx, db, make_user, mailbox):
    person = db.session.get(User, make_user(email="export@example.org").id)
    export = privacy.request_export(person)
    db.session.commit()
    privacy.build_export(export.id)
    db.session.commit()
    assert "/my-data/download" not in _payloads()
    mailbox.deliver()
    link = first_link(mailbox.last("export@example.org"))
    token = urlsplit(link).path.rsplit("/", 1)[-1]
    opened, _ = privacy.export_for_download(token, person)
    assert opened.id == export.id

"""The "My data" pages: download all my data, delete my account; and the staff's export of
a dialogue's records for a disclosure request. Through the views, on the real database."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

from sqlalchemy import select

from dialog.accounts.models import DataExport, User
from dialog.core.db import utcnow
from dialog.core.models import AuditEntry, StoredFile
from dialog.proposals.models import Proposal, Vote
from tests.support import PASSWORD, csrf_token, first_link, post_form, run_task

LIVE_VOTING = (("proposals", -2, 24, {"capability_overrides": {"vote": True}}),)


def _audit(app, action):
    return _read(app, select(AuditEntry).where(AuditEntry.action == action))


def _read(app, query):
    """Rows read in a context of their own: the test client's requests must not share
    the test's application context (Flask-Login keeps the user in it)."""
    from dialog.extensions import db

    with app.app_context():
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def _get(app, model, id_):
    from dialog.extensions import db

    with app.app_context():
        row = db.session.get(model, id_)
        if row is not None:
            db.session.expunge(row)
        return row


# The page --------------------------------------------------------------------------------


def test_my_data_needs_a_login(client):
    response = client.get("/profile/my-data")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_data_explains_in_swedish_and_english_and_is_linked_from_the_profile(
    resident_client,
):
    assert "/profile/my-data" in resident_client.get("/profile").get_data(as_text=True)
    swedish = resident_client.get("/profile/my-data")
    page = swedish.get_data(as_text=True)
    assert "Ladda ner alla mina uppgifter" in page and "allmän handling" in page
    assert 'name="csrf_token"' in page and "/profile/delete" in page
    assert "no-store" in swedish.headers["Cache-Control"]
    english = resident_client.get("/profile/my-data?lang=en").get_data(as_text=True)
    assert "Download all my data" in english and "24 hours" in english


def test_asking_for_a_copy_without_the_form_token_changes_nothing(app, resident_client, db):
    response = resident_client.post("/profile/my-data/export")
    assert response.status_code in (302, 400)
    assert _read(app, select(DataExport)) == []


# Download all my data ----------------------------------------------------------------------


def _ask_for_copy(client):
    return post_form(client, "/profile/my-data/export", {}, form_path="/profile/my-data")


def test_the_copy_is_compiled_by_the_job_and_the_emailed_link_downloads_it(
    app, client, db, mailbox, make_user, login, make_dialogue, make_proposal
):
    person = make_user(email="ada.privacy@example.org", display_name="Ada Lind")
    dialogue = make_dialogue("kanalen", phases=LIVE_VOTING)
    make_proposal(dialogue, author=person, title="Bryggor vid kanalen")
    login(person)
    assert _ask_for_copy(client).status_code == 302
    [export] = _read(app, select(DataExport))
    assert export.file_id is None  # the worker builds it, not the request
    assert _audit(app, "data_export_requested")[0].actor_id == person.id

    assert mailbox.deliver() == 1  # the job, which queues the mail with the link
    link = first_link(mailbox.last("ada.privacy@example.org"))
    download = client.get(link.replace(app.config["PUBLIC_URL"], ""))
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert "no-store" in download.headers["Cache-Control"]
    document = json.loads(download.get_data())
    assert document["sections"]["user_account"][0]["email"] == "ada.privacy@example.org"
    assert document["sections"]["proposal"][0]["title"] == "Bryggor vid kanalen"
    assert {"data_export_ready", "data_export_downloaded"} <= {
        e.action for e in _read(app, select(AuditEntry))
    }
    page = client.get("/profile/my-data").get_data(as_text=True)
    assert "klar, länken finns i din e-post" in page


def test_copies_go_only_to_a_confirmed_address_one_at_a_time_and_rarely(
    app, client, db, mailbox, make_user, login
):
    # Otherwise anyone could register a stranger's address and flood it with copies.
    unconfirmed = make_user(email="not.mine@example.org", verified=False)
    login(unconfirmed)
    _ask_for_copy(client)
    assert _read(app, select(DataExport)) == []
    client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")})

    person = make_user(email="cai.privacy@example.org")
    login(person)
    _ask_for_copy(client)
    again = _ask_for_copy(client).headers["Location"]
    assert "redan" in client.get(again).get_data(as_text=True)  # one is being made
    assert len(_read(app, select(DataExport))) == 1
    mailbox.deliver()
    _ask_for_copy(client)  # the first is ready: a new one within 15 minutes is refused
    assert len(_read(app, select(DataExport))) == 1
    assert len(mailbox.messages("cai.privacy@example.org")) == 1


def test_the_link_works_only_for_its_person_and_only_while_it_lasts(
    app, client, db, mailbox, make_user, login
):
    person = make_user(email="bo.privacy@example.org")
    login(person)
    _ask_for_copy(client)
    mailbox.deliver()
    path = first_link(mailbox.last("bo.privacy@example.org")).replace(app.config["PUBLIC_URL"], "")

    stranger = app.test_client()
    assert stranger.get(path).status_code == 302  # to the login page
    other = make_user()
    post_form(stranger, "/login", {"email": other.email, "password": PASSWORD})
    refused = stranger.get(path)
    assert refused.status_code == 403 and "annat konto" in refused.get_data(as_text=True)
    assert client.get(path[:-3] + "xyz").status_code == 410  # a forged signature

    from dialog.extensions import db as database

    with app.app_context():
        export = database.session.scalar(select(DataExport))
        export.expires_at = utcnow() - timedelta(minutes=1)
        database.session.commit()
        export_id, file_id = export.id, export.file_id
    assert client.get(path).status_code == 410
    assert run_task(app, "accounts.expire_data_exports") == 1
    assert _get(app, StoredFile, file_id) is None
    assert _get(app, DataExport, export_id).file_id is None
    assert _audit(app, "data_export_expired")


# Delete my account -------------------------------------------------------------------------


def test_deleting_asks_for_the_password_and_the_understanding(app, client, db, make_user, login):
    person = make_user(email="cy.privacy@example.org")
    login(person)
    page = client.get("/profile/delete").get_data(as_text=True)
    assert "Borttagen deltagare" in page and 'name="csrf_token"' in page
    wrong = post_form(client, "/profile/delete", {"current_password": "not it", "understood": "y"})
    assert wrong.status_code == 200 and "Lösenordet är fel." in wrong.get_data(as_text=True)
    unticked = post_form(client, "/profile/delete", {"current_password": PASSWORD})
    assert "Kryssa i rutan" in unticked.get_data(as_text=True)
    assert not _get(app, User, person.id).is_anonymised


def test_deleting_the_account_logs_out_blanks_the_profile_and_keeps_contributions_anonymous(
    app, client, db, make_user, login, make_dialogue, make_proposal, make_comment, cast_vote
):
    person = make_user(email="dana.privacy@example.org", display_name="Dana Berg")
    other = make_user()
    dialogue = make_dialogue("torget", phases=LIVE_VOTING)
    proposal = make_proposal(dialogue, author=person, title="Träd på torget")
    make_comment(proposal, person, body="Gärna lindar")
    cast_vote(proposal, person)
    cast_vote(proposal, other)
    login(person)
    response = post_form(
        client, "/profile/delete", {"current_password": PASSWORD, "understood": "y"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile/deleted")
    assert client.get("/profile").status_code == 302  # logged out
    post_form(client, "/login", {"email": "dana.privacy@example.org", "password": PASSWORD})
    assert client.get("/profile").status_code == 302  # and cannot log in again

    shown = client.get(f"/p/{proposal.id}").get_data(as_text=True)
    assert shown.count("Borttagen deltagare") == 2  # the proposal and the comment
    assert "Dana Berg" not in shown and "Gärna lindar" in shown
    assert _get(app, Proposal, proposal.id).votes_for == 2
    assert _read(app, select(Vote).where(Vote.user_id == person.id)) == []
    assert len(_read(app, select(Vote))) == 2
    [entry] = _audit(app, "account_erased")
    assert entry.actor_id == person.id and entry.reason == "requested"
    assert "dana.privacy@example.org" not in json.dumps(entry.details)
    # The counts rebuilt from the vote rows still hold the erased person's vote.
    run_task(app, "proposals.reconcile_counts")
    assert _get(app, Proposal, proposal.id).votes_for == 2


def test_a_deleted_account_is_shown_in_english_too(
    client, make_user, login, make_dialogue, make_proposal
):
    person = make_user()
    proposal = make_proposal(make_dialogue("parken"), author=person)
    login(person)
    post_form(client, "/profile/delete", {"current_password": PASSWORD, "understood": "y"})
    page = client.get(f"/p/{proposal.id}?lang=en").get_data(as_text=True)
    assert "Deleted participant" in page


# Disclosure export -------------------------------------------------------------------------


def test_staff_export_a_dialogues_records_with_public_names_and_formula_safe_cells(
    app, client, db, make_user, login, make_dialogue, make_proposal, make_comment
):
    planner = make_user(role="planner")
    named = make_user(display_name="Eva Named")
    hidden = make_user(display_name="Secret Person", show_name_publicly=False)
    dialogue = make_dialogue("utlamnande")
    with app.app_context():
        from dialog.dialogues import services
        from dialog.dialogues.models import Dialogue
        from dialog.extensions import db as database

        services.assign_planner(database.session.get(Dialogue, dialogue.id), planner, by=None)
        database.session.commit()
    proposal = make_proposal(dialogue, author=named, title='=HYPERLINK("http://evil")')
    make_comment(proposal, hidden, body="+46 tycker till")
    login(planner)
    response = _export_records(client, dialogue, "csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["kind"] for r in rows] == ["proposal", "comment"]
    assert rows[0]["author"] == "Eva Named" and rows[0]["title"].startswith("'=")
    assert rows[1]["author"] == hidden.pseudonym and rows[1]["body"] == "'+46 tycker till"
    assert "Secret Person" not in response.get_data(as_text=True)
    as_json = _export_records(client, dialogue, "json").get_json()
    assert as_json["records"][0]["title"] == '=HYPERLINK("http://evil")'  # JSON stays exact
    assert [e.details["format"] for e in _audit(app, "records_disclosed")] == ["csv", "json"]


def test_only_the_dialogues_staff_may_export_its_records(
    client, make_user, login, make_dialogue, make_proposal
):
    dialogue = make_dialogue("stangd")
    make_proposal(dialogue)
    anonymous = client.post(f"/admin/dialogues/{dialogue.id}/records.csv")
    assert anonymous.status_code in (302, 400)
    login(make_user(role="planner"))  # a planner, but not of this dialogue
    assert _export_records(client, dialogue, "csv").status_code == 403
    token = csrf_token(client, "/profile")
    missing = client.post("/admin/dialogues/999999/records.csv", data={"csrf_token": token})
    assert missing.status_code == 404


def test_a_records_export_needs_the_form_token_so_no_other_site_logs_one(
    app, client, db, make_user, login, make_dialogue
):
    from dialog.dialogues import services
    from dialog.dialogues.models import Dialogue
    from dialog.extensions import db as database

    dialogue = make_dialogue("utlamnande")
    planner = make_user(role="planner")
    with app.app_context():
        services.assign_planner(database.session.get(Dialogue, dialogue.id), planner, by=None)
        database.session.commit()
    login(planner)
    assert client.get(f"/admin/dialogues/{dialogue.id}/records.csv").status_code == 405
    assert client.post(f"/admin/dialogues/{dialogue.id}/records.csv").status_code == 400
    assert _audit(app, "records_disclosed") == []
    assert _export_records(client, dialogue, "csv").status_code == 200
    assert len(_audit(app, "records_disclosed")) == 1


def _export_records(client, dialogue, format: str):
    token = csrf_token(client, "/profile")
    return client.post(
        f"/admin/dialogues/{dialogue.id}/records.{format}", data={"csrf_token": token}
    )


# The retention decision on the dialogue form -----------------------------------------------


def test_an_admin_sets_the_retention_decision_and_bad_values_are_explained(
    app, client, db, admin, login, make_dialogue
):
    from dialog.dialogues.models import Dialogue, RetentionAction

    dialogue = make_dialogue("gallring")
    login(admin)
    path = f"/admin/dialogues/{dialogue.id}/edit"
    form = client.get(path).get_data(as_text=True)
    assert "Gallringsbeslut" in form and "/records.csv" in form
    fields = {
        "title": "Gallring",
        "summary": "S",
        "visibility": "public",
        "vote_mode": "for_against",
        "vote_counts": "live",
        "retention_action": "remove",
    }
    bad = post_form(client, path, {**fields, "retention_months": "0"})
    assert bad.status_code == 200
    assert "från 1 till 1200" in bad.get_data(as_text=True)
    assert post_form(client, path, {**fields, "retention_months": "6"}).status_code == 302
    saved = _get(app, Dialogue, dialogue.id)
    assert (saved.retention_months, saved.retention_action) == (6, RetentionAction.remove)
    again = client.get(path).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="remove"', again)
    assert 'name="retention_months" type="number" value="6"' in again


def test_the_delete_form_refuses_a_missing_token(app, resident_client, db, resident):
    token = csrf_token(resident_client, "/profile/delete")
    assert token
    response = resident_client.post(
        "/profile/delete", data={"current_password": PASSWORD, "understood": "y"}
    )
    assert response.status_code in (200, 400)
    assert not _get(app, User, resident.id).is_anonymised


def test_the_only_administrator_cannot_delete_the_account(app, client, db, make_user, login):
    only = make_user(role="admin")
    login(only)
    page = client.get("/profile/my-data").get_data(as_text=True)
    assert "enda administratören" in page and "/profile/delete" not in page
    refused = post_form(
        client,
        "/profile/delete",
        {"current_password": PASSWORD, "understood": "y"},
        form_path="/profile/my-data",
    )
    assert refused.status_code == 403
    assert not _get(app, User, only.id).is_anonymised
    make_user(role="admin")
    assert client.get("/profile/delete").status_code == 200


def test_the_records_csv_quotes_a_cell_as_the_other_exports_do(ctx):
    """The disclosure CSV and the audit CSV share one rule: a line break first is quoted
    too (a spreadsheet may drop it and run what follows)."""
    from dialog.accounts import records

    row = dict.fromkeys(records.RECORD_COLUMNS, "")
    body = records.as_csv([{**row, "title": "\n=1+1", "body": "@SUM(A1)"}])
    [cells] = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert cells["title"] == "'\n=1+1" and cells["body"] == "'@SUM(A1)"


def test_records_of_a_dialogue_whose_stored_address_has_a_newline_still_download(
    app, client, db, make_user, login, make_dialogue, make_proposal
):
    """An address name saved before the form refused a trailing newline must not break
    the download's header (a 500 before)."""
    admin = make_user(role="admin")
    dialogue = make_dialogue("gammal\n")
    make_proposal(dialogue)
    login(admin)
    for format in ("csv", "json"):
        response = _export_records(client, dialogue, format)
        assert response.status_code == 200, format
        disposition = response.headers["Content-Disposition"]
        assert disposition == f'attachment; filename="gammal_-records.{format}"'

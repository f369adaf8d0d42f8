""" "Report ready": the planner who asked hears of it, in the bell and (as they chose) by
email with a link to the version; nobody else does, nor someone no longer its staff."""

from __future__ import annotations

from flask_babel import force_locale

from dialog.accounts.models import User
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.models import Dialogue
from dialog.extensions import db
from dialog.notifications import labels
from dialog.notifications import services as notifications
from dialog.notifications.models import Category, Frequency
from dialog.reports import services
from dialog.reports.compiling import compile_report, without_people
from dialog.reports.models import Report
from tests.factories import LIVE
from tests.notifications.support import deliver, fresh, notifications_of
from tests.support import first_link


def _compile(report) -> None:
    """What the worker's task does, without its progress bar (which writes on a
    connection of its own, which this test's one rolled-back transaction does not have)."""
    assert services.start(report.id)
    services.finish(report, without_people(compile_report(report.dialogue)))
    db.session.commit()


def _asked_and_compiled(dialogue, person) -> int:
    report = services.request_report(fresh(Dialogue, dialogue), by=fresh(User, person))
    db.session.commit()
    _compile(fresh(Report, report))
    return report.version


def test_the_planner_who_asked_is_told_with_a_link_to_the_version(
    app, ctx, db, make_dialogue, make_user, mailbox
):
    dialogue = make_dialogue("klar", phases=LIVE)
    made = [
        make_user(role="admin"),
        make_user(role="planner", email="pia@example.org"),
        make_user(role="planner", email="kollega@example.org"),
    ]  # each in a transaction of its own: made before this test's session holds one
    admin, planner, colleague = (fresh(User, person) for person in made)
    for person in (planner, colleague):
        dialogue_services.assign_planner(fresh(Dialogue, dialogue), person, by=admin)
    notifications.set_frequencies(planner, {Category.reports: Frequency.immediately})
    db.session.commit()

    version = _asked_and_compiled(dialogue, planner)
    deliver(app, mailbox)

    [told] = notifications_of(planner.id)
    assert told.kind == "report_ready" and told.category is Category.reports
    with force_locale("en"):
        assert labels.describe(told) == f"Version {version} of the report on “Dialog klar” is ready"
    assert labels.destination(told) == ("reports.show", {"slug": "klar", "version": version})
    assert notifications_of(colleague.id) == [] and notifications_of(admin.id) == []
    link = first_link(mailbox.last("pia@example.org"))
    assert link.endswith(f"/d/klar/reports/{version}")


def test_someone_no_longer_staff_of_the_dialogue_is_not_told(
    app, ctx, db, make_dialogue, make_user, mailbox
):
    dialogue = make_dialogue("bytt", phases=LIVE)
    made = [make_user(role="admin"), make_user(role="planner")]
    admin, planner = (fresh(User, person) for person in made)
    dialogue_services.assign_planner(fresh(Dialogue, dialogue), planner, by=admin)
    db.session.commit()
    report = services.request_report(fresh(Dialogue, dialogue), by=planner)
    dialogue_services.unassign_planner(fresh(Dialogue, dialogue), planner.id, by=admin)
    db.session.commit()

    _compile(fresh(Report, report))
    deliver(app, mailbox)

    assert notifications_of(planner.id) == []


def test_reports_are_a_staff_category_a_resident_is_never_offered(app, ctx, db, make_user):
    from dialog.notifications.permissions import categories_for

    made = [make_user(), make_user(role="planner")]
    resident, planner = (fresh(User, person) for person in made)
    assert Category.reports not in categories_for(resident)
    assert Category.reports in categories_for(planner)

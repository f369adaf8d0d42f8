"""Dialogue pages: the start page, a dialogue with its timeline, following, invitations,
and the administrators' pages for dialogues, schedules and planners."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.accounts import services as accounts
from dialog.core import limits
from dialog.core.db import utcnow, writes_on_safe_method
from dialog.core.forms import ActionForm
from dialog.core.markdown import render as render_markdown
from dialog.core.permissions import require
from dialog.core.timezone import to_local
from dialog.dialogues import forms, labels, permissions, queries, schedule, services, timeline
from dialog.dialogues.models import Dialogue, DialogueState, Invitation, Phase, PhaseKind
from dialog.dialogues.visibility import EVERYONE, visible_dialogue
from dialog.extensions import db

bp = Blueprint("dialogues", __name__)


def _managed_dialogue(dialogue_id: int) -> Dialogue:
    require(permissions.can_manage(current_user))
    dialogue = queries.dialogue_by_id(dialogue_id)
    if dialogue is None:
        abort(404)
    return dialogue


def _managed_phase(phase_id: int) -> Phase:
    require(permissions.can_manage(current_user))
    return db.get_or_404(Phase, phase_id)


# Public pages ------------------------------------------------------------------------


@bp.get("/")
def index():
    listed = queries.listed_dialogues(current_user)
    public = listed if current_user.is_anonymous else queries.listed_dialogues(EVERYONE)
    return render_template(
        "dialogues/index.html",
        groups=queries.grouped(listed),
        figures=queries.start_figures(public),
    )


@bp.get("/d/<slug>")
def show(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    actions = {
        capability: permissions.can_participate(current_user, dialogue, capability)
        for capability in permissions.RESIDENT_ACTIONS
    }
    now = utcnow()
    where = timeline.standing(dialogue, now)
    return render_template(
        "dialogues/show.html",
        dialogue=dialogue,
        standing=where,
        next_step=timeline.next_step(where, actions),
        phase_timeline=timeline.timeline_of(dialogue, now),
        actions=actions,
        background=render_markdown(dialogue.background),
        attachments=queries.attachments(dialogue.id),
        following=queries.is_following(dialogue, current_user),
        can_follow=permissions.can_follow(current_user, dialogue),
        can_invite=permissions.can_invite(current_user, dialogue),
        form=ActionForm(),
    )


@bp.post("/d/<slug>/<any(follow, unfollow):action>")
@limits.write_limit()
def follow(slug: str, action: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_follow(current_user, dialogue))
    if ActionForm().validate_on_submit():
        (services.follow if action == "follow" else services.unfollow)(dialogue, current_user)
        db.session.commit()
        flash(
            _("You follow the dialogue and will hear when something happens.")
            if action == "follow"
            else _("You no longer follow the dialogue."),
            "success",
        )
    return redirect(url_for("dialogues.show", slug=slug))


def _invitation_or_none(token: str) -> Invitation | None:
    try:
        return services.invitation_for_token(token)
    except services.InvalidInvitation:
        return None


def _invalid_invitation():
    return render_template("dialogues/invitation_invalid.html"), 404


@bp.get("/i/<token>")
@writes_on_safe_method
def accept_invitation(token: str):
    """The link in the invitation: the invited address's account accepts it; anyone else
    already let in goes on to the dialogue; others are offered to ask for access."""
    if (invitation := _invitation_or_none(token)) is None:
        return _invalid_invitation()
    dialogue = queries.dialogue_by_id(invitation.dialogue_id)
    if current_user.is_authenticated:
        if permissions.can_accept_invitation(current_user, invitation):
            services.accept_invitation(invitation, current_user)
            db.session.commit()
            return redirect(url_for("dialogues.show", slug=dialogue.slug))
        if permissions.can_view(current_user, dialogue):
            return redirect(url_for("dialogues.show", slug=dialogue.slug))
    return render_template(
        "dialogues/invitation.html",
        dialogue=dialogue,
        token=token,
        can_request=permissions.can_request_access(current_user, invitation),
        form=ActionForm(),
    )


@bp.post("/i/<token>/request")
@limits.write_limit()
def request_access(token: str):
    if (invitation := _invitation_or_none(token)) is None:
        return _invalid_invitation()
    require(permissions.can_request_access(current_user, invitation))
    if ActionForm().validate_on_submit():
        services.request_access(invitation, current_user)
        db.session.commit()
        flash(_("Your request is sent to the dialogue's planners."), "success")
    return redirect(url_for("dialogues.accept_invitation", token=token))


# Invitations (the dialogue's planners and admins) -------------------------------------


@bp.route("/d/<slug>/invitations", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def invitations(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_invite(current_user, dialogue))
    form = forms.InviteForm()
    if form.validate_on_submit():
        invited = services.invite(dialogue, form.addresses(), by=current_user)
        db.session.commit()
        flash(_("Invitations sent: %(count)d.", count=len(invited)), "success")
        return redirect(url_for("dialogues.invitations", slug=slug))
    requests = queries.access_requests(dialogue)
    return render_template(
        "dialogues/invitations.html",
        dialogue=dialogue,
        form=form,
        invitations=queries.invitations(dialogue),
        requests=requests,
        can_decide={
            r.id: permissions.can_approve_access(current_user, dialogue, r) for r in requests
        },
        action_form=ActionForm(),
    )


@bp.post("/d/<slug>/invitations/<int:invitation_id>/revoke")
@limits.write_limit()
def revoke_invitation(slug: str, invitation_id: int):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_invite(current_user, dialogue))
    invitation = db.get_or_404(Invitation, invitation_id)
    require(permissions.can_revoke_invitation(current_user, dialogue, invitation))
    if ActionForm().validate_on_submit():
        services.revoke_invitation(invitation, by=current_user)
        db.session.commit()
        flash(_("The invitation for %(email)s is revoked.", email=invitation.email), "success")
    return redirect(url_for("dialogues.invitations", slug=slug))


@bp.post("/d/<slug>/access-requests/<int:request_id>/<any(approve, refuse):decision>")
@limits.write_limit()
def decide_access_request(slug: str, request_id: int, decision: str):
    dialogue = visible_dialogue(slug, current_user)
    require(permissions.can_invite(current_user, dialogue))
    access_request = queries.access_request(request_id)
    if access_request is None:
        abort(404)
    check = (
        permissions.can_approve_access if decision == "approve" else permissions.can_refuse_access
    )
    require(check(current_user, dialogue, access_request))
    if ActionForm().validate_on_submit():
        services.decide_access_request(
            access_request, approve=decision == "approve", by=current_user
        )
        db.session.commit()
        name = access_request.user.display_name
        flash(
            _("%(name)s can now see the dialogue.", name=name)
            if decision == "approve"
            else _("The request from %(name)s is refused.", name=name),
            "success",
        )
    return redirect(url_for("dialogues.invitations", slug=slug))


# Administration ----------------------------------------------------------------------


@bp.get("/admin/dialogues")
def admin_index():
    require(permissions.can_manage(current_user))
    return render_template(
        "dialogues/admin_index.html", dialogues=queries.all_dialogues(), now=utcnow()
    )


@bp.route("/admin/dialogues/new", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def admin_create():
    require(permissions.can_manage(current_user))
    form = forms.DialogueForm()
    if form.validate_on_submit():
        try:
            dialogue = services.create_dialogue(
                slug=form.slug.data, by=current_user, **form.values()
            )
        except services.SlugTaken:
            form.slug.errors.append(_("Another dialogue already uses this address name."))
        else:
            db.session.commit()
            flash(_("The dialogue is created as a draft. Now schedule its phases."), "success")
            return redirect(url_for("dialogues.admin_phases", dialogue_id=dialogue.id))
    return render_template("dialogues/admin_form.html", form=form, dialogue=None)


@bp.route("/admin/dialogues/<int:dialogue_id>/edit", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def admin_edit(dialogue_id: int):
    dialogue = _managed_dialogue(dialogue_id)
    form = forms.DialogueForm(obj=dialogue)
    del form.slug
    if request.method == "GET":
        form.fill_from(dialogue)
    if form.validate_on_submit():
        services.update_dialogue(dialogue, by=current_user, **form.values())
        db.session.commit()
        flash(_("The dialogue is saved."), "success")
        return redirect(url_for("dialogues.admin_index"))
    return render_template("dialogues/admin_form.html", form=form, dialogue=dialogue)


# Moving a dialogue here hides it from residents (draft) or ends it (archived): asked first.
CONFIRMED_STATES = (DialogueState.draft, DialogueState.archived)


@bp.post("/admin/dialogues/<int:dialogue_id>/state/<state>")
@limits.write_limit()
def admin_set_state(dialogue_id: int, state: str):
    dialogue = _managed_dialogue(dialogue_id)
    if state not in DialogueState.__members__:
        abort(404)
    target = DialogueState[state]
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("dialogues.admin_index"))
    asks_first = target in CONFIRMED_STATES and target is not dialogue.state
    if asks_first and not form.is_confirmation_of(state):
        return render_template(
            "dialogues/admin_confirm_state.html",
            dialogue=dialogue,
            target=target,
            form=form,
            hidden=queries.hiding_consequences(dialogue),
            standing=timeline.standing(dialogue, utcnow()),
        )
    services.set_state(dialogue, target, by=current_user)
    db.session.commit()
    flash(
        _("“%(title)s” is now %(state)s.", title=dialogue.title, state=labels.STATE_LABELS[target]),
        "success",
    )
    return redirect(url_for("dialogues.admin_index"))


def _plan_from(form: forms.PhaseForm, phase_id: int | None = None) -> schedule.PhasePlan:
    """Raises ScheduleInvalid when a local time does not exist."""
    return schedule.PhasePlan(
        kind=PhaseKind(form.kind.data),
        title=form.title.data.strip(),
        description=form.description.data or "",
        starts_at=schedule.local_to_utc(form.starts_at.data, "starts_at"),
        ends_at=schedule.local_to_utc(form.ends_at.data, "ends_at") if form.ends_at.data else None,
        capability_overrides=form.overrides(),
        phase_id=phase_id,
    )


def _show_problems(form, problems) -> None:
    for problem in problems:
        getattr(form, problem.field).errors.append(problem.message)


def _schedule_from_form(form, dialogue, phase=None):
    """Check the posted phase against the schedule; save it unless it is a preview or
    its dates lie in the past without the person's yes. Returns (saved, preview, past):
    the preview's timeline, and the past-dates warning to show (None when none)."""
    plan = _plan_from(form, phase_id=phase.id if phase is not None else None)
    preview = schedule.preview_schedule(dialogue, plan)
    past = schedule.past_dates(plan, before=phase)
    if form.preview.data or (past and not form.confirm_past.data):
        return False, timeline.timeline(preview, utcnow()), past
    if phase is None:
        schedule.add_phase(dialogue, plan, by=current_user)
    else:
        schedule.update_phase(phase, plan, by=current_user)
    db.session.commit()
    return True, None, None


def _phase_page(form, dialogue, phase=None):
    """Render (or save and redirect) the add or edit form of a phase."""
    preview = past = None
    if form.validate_on_submit():
        try:
            saved, preview, past = _schedule_from_form(form, dialogue, phase)
        except schedule.ScheduleInvalid as invalid:
            _show_problems(form, invalid.problems)
        else:
            if saved:
                flash(
                    _("The phase is scheduled.") if phase is None else _("The phase is saved."),
                    "success",
                )
                return redirect(url_for("dialogues.admin_phases", dialogue_id=dialogue.id))
    now = utcnow()
    context = {
        "dialogue": dialogue,
        "form": form,
        "preview": preview if form.preview.data else None,
        "past": past,
    }
    if phase is not None:
        return render_template("dialogues/admin_phase_form.html", phase=phase, **context)
    return render_template(
        "dialogues/admin_phases.html",
        phase_timeline=timeline.timeline_of(dialogue, now),
        can_open_now={p.id: permissions.can_open_now(current_user, p) for p in dialogue.phases},
        can_close_now={p.id: permissions.can_close_now(current_user, p) for p in dialogue.phases},
        action_form=forms.ConfirmForm(),
        **context,
    )


@bp.route("/admin/dialogues/<int:dialogue_id>/phases", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def admin_phases(dialogue_id: int):
    return _phase_page(forms.PhaseForm(), _managed_dialogue(dialogue_id))


@bp.route("/admin/phases/<int:phase_id>/edit", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def admin_edit_phase(phase_id: int):
    phase = _managed_phase(phase_id)
    form = forms.PhaseForm(obj=phase)
    if request.method == "GET":
        form.kind.data = phase.kind.value
        form.starts_at.data = to_local(phase.starts_at)
        form.ends_at.data = to_local(phase.ends_at) if phase.ends_at else None
        form.fill_overrides(phase.capability_overrides)
    return _phase_page(form, phase.dialogue, phase)


@bp.post("/admin/phases/<int:phase_id>/remove")
@limits.write_limit()
def admin_remove_phase(phase_id: int):
    phase = _managed_phase(phase_id)
    dialogue = phase.dialogue
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("dialogues.admin_phases", dialogue_id=dialogue.id))
    if not form.is_confirmation_of(str(phase.id)):
        return render_template(
            "dialogues/admin_confirm_remove.html",
            phase=phase,
            dialogue=dialogue,
            form=form,
            entry=_entry_of(phase),
            date_format=timeline.schedule_format(dialogue.phases),
        )
    schedule.remove_phase(phase, by=current_user)
    db.session.commit()
    flash(_("The phase is removed."), "success")
    return redirect(url_for("dialogues.admin_phases", dialogue_id=dialogue.id))


def _entry_of(phase: Phase):
    """The phase as the timeline shows it now (is it open, what residents can do in it)."""
    return next(e for e in timeline.timeline_of(phase.dialogue, utcnow()) if e.phase is phase)


@bp.route("/admin/phases/<int:phase_id>/<any(open, close):action>-now", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def admin_phase_now(phase_id: int, action: str):
    """Open or close a phase now. The page says what changes (which phase closes early and
    when it was meant to end); the POST acts only with the confirmation of what was shown."""
    phase = _managed_phase(phase_id)
    can_change = permissions.can_open_now if action == "open" else permissions.can_close_now
    require(can_change(current_user, phase))
    form = forms.ReasonForm()
    change = schedule.opening(phase) if action == "open" else None
    shown = change.confirmation if change is not None else str(phase.id)
    if form.confirms(shown):
        try:
            if change is not None:
                schedule.open_now(
                    phase, by=current_user, reason=form.reason.data.strip(), confirmed=shown
                )
            else:
                schedule.close_now(phase, by=current_user, reason=form.reason.data.strip())
        except schedule.ScheduleInvalid as invalid:
            db.session.rollback()
            for problem in invalid.problems:
                form.reason.errors.append(problem.message)
        else:
            db.session.commit()
            flash(
                _("The phase “%(title)s” is opened now.", title=phase.title)
                if action == "open"
                else _("The phase “%(title)s” is closed now.", title=phase.title),
                "success",
            )
            return redirect(url_for("dialogues.admin_phases", dialogue_id=phase.dialogue_id))
    elif form.is_submitted() and form.confirmed.data and form.confirmed.data != shown:
        form.reason.errors.append(str(schedule.SCHEDULE_CHANGED))
    return render_template(
        "dialogues/admin_phase_now.html",
        phase=phase,
        form=form,
        action=action,
        change=change,
        shown=shown,
        date_format=timeline.schedule_format(phase.dialogue.phases),
        # Residents' actions the change takes away, and those the opened phase gives.
        lost=timeline.resident_actions(_lost_capabilities(phase, change)),
        gained=timeline.resident_actions(phase.capabilities),
    )


def _lost_capabilities(phase: Phase, change: schedule.Opening | None):
    if change is None:
        return phase.capabilities  # closing it takes all it allowed
    if change.closing is None:
        return frozenset()
    return change.closing.capabilities - phase.capabilities


@bp.route("/admin/dialogues/<int:dialogue_id>/planners", methods=["GET", "POST"])
@limits.write_limit(methods=["POST"])
def admin_planners(dialogue_id: int):
    dialogue = _managed_dialogue(dialogue_id)
    form = forms.PlannerForm()
    if form.validate_on_submit():
        user = accounts.find_by_email(form.email.data)
        if not (eligible := permissions.can_be_planner(user)):
            form.email.errors.append(eligible.message)
        else:
            services.assign_planner(dialogue, user, by=current_user)
            db.session.commit()
            flash(
                _("%(name)s is now a planner of the dialogue.", name=user.display_name), "success"
            )
            return redirect(url_for("dialogues.admin_planners", dialogue_id=dialogue.id))
    return render_template(
        "dialogues/admin_planners.html",
        dialogue=dialogue,
        form=form,
        planners=queries.planners(dialogue),
        action_form=ActionForm(),
    )


@bp.post("/admin/dialogues/<int:dialogue_id>/planners/<int:user_id>/remove")
@limits.write_limit()
def admin_remove_planner(dialogue_id: int, user_id: int):
    dialogue = _managed_dialogue(dialogue_id)
    if ActionForm().validate_on_submit():
        services.unassign_planner(dialogue, user_id, by=current_user)
        db.session.commit()
        flash(_("The planner is removed from the dialogue."), "success")
    return redirect(url_for("dialogues.admin_planners", dialogue_id=dialogue.id))


from dialog.dialogues import attachment_views  # noqa: E402, F401  (its routes)

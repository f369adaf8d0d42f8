"""My page (/me): the person's own proposals, comments, votes and follows with where each
stands, each section's full list, and unfollowing from there. Routes of the accounts
blueprint; CSRFProtect guards every POST (the buttons carry the token)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialog.accounts import my_page as mine
from dialog.accounts import permissions
from dialog.accounts.views import bp
from dialog.core import limits, urls
from dialog.core.forms import ActionForm
from dialog.core.permissions import require
from dialog.dialogues import permissions as dialogue_permissions
from dialog.dialogues import services as dialogue_services
from dialog.dialogues.visibility import visible_dialogue
from dialog.extensions import db
from dialog.proposals import permissions as proposal_permissions
from dialog.proposals import services as proposal_services
from dialog.proposals.visibility import visible_proposal


@bp.get("/me")
def my_page():
    require(permissions.can_see_own_page(current_user))
    return render_template(
        "accounts/my_page.html",
        sections=mine.overview(current_user),
        here=url_for("accounts.my_page"),
    )


@bp.get("/me/<any(proposals, comments, votes):section>")
def my_page_section(section: str):
    return _section(section)


@bp.get("/me/following/<any(dialogues, proposals):kind>")
def my_page_following(kind: str):
    return _section(f"following_{kind}")


def _section(name: str):
    require(permissions.can_see_own_page(current_user))
    listing = mine.section_page(current_user, name, urls.page_number())
    # Where an unfollow button brings the person back to: this page of the list.
    page = {"page": listing.page} if listing.page > 1 else {}
    return render_template(
        "accounts/my_page_section.html",
        listing=listing,
        here=url_for(request.endpoint, **request.view_args, **page),
    )


# Unfollowing from the page: the follow services, behind the same checks as the buttons
# on the dialogue's and the proposal's own pages (whoever may no longer see it gets 404).


@bp.post("/me/following/dialogues/<slug>/unfollow")
@limits.write_limit()
def unfollow_dialogue(slug: str):
    dialogue = visible_dialogue(slug, current_user)
    require(dialogue_permissions.can_follow(current_user, dialogue))
    if ActionForm().validate_on_submit():
        dialogue_services.unfollow(dialogue, current_user)
        db.session.commit()
        flash(_("You no longer follow the dialogue."), "success")
    return _back()


@bp.post("/me/following/proposals/<int:proposal_id>/unfollow")
@limits.write_limit()
def unfollow_proposal(proposal_id: int):
    proposal = visible_proposal(proposal_id, current_user)
    require(proposal_permissions.can_follow(current_user, proposal))
    if ActionForm().validate_on_submit():
        proposal_services.unfollow(proposal, current_user)
        db.session.commit()
        flash(_("You no longer follow the proposal."), "success")
    return _back()


def _back():
    """To the page the button was on (My page or a section's list), on this site only."""
    return redirect(urls.safe_next(request.form.get("next"), "accounts.my_page"))

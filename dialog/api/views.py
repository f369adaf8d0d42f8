"""The read-only open-data API under /api/v1/, described by /api/v1/openapi.json.

Everyone who asks is answered as a visitor without an account: the API applies the same
visibility rules as the pages, seen from there.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request, session
from flask_babel import gettext as _

from dialog.api import openapi, serializers
from dialog.core.permissions import Refused
from dialog.core.urls import public_url
from dialog.dialogues import queries as dialogues
from dialog.dialogues.visibility import EVERYONE, visible_dialogue
from dialog.extensions import csrf, limiter
from dialog.proposals import permissions as proposal_permissions
from dialog.proposals import queries as proposals
from dialog.proposals.visibility import visible_proposal

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
# Short: a dialogue made draft or invite-only, or a hidden proposal, leaves shared caches
# within seconds.
PUBLIC_CACHE = "public, max-age=5"


@bp.after_request
def _open_data_headers(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = _cache_control(response)
    if response.status_code >= 400:
        # Error titles and reasons are translated.
        response.vary.add("Accept-Language")
    return response


def _cache_control(response) -> str:
    # A response that carries someone's session cookie must never sit in a shared cache.
    if current_app.session_interface.should_set_cookie(current_app, session):
        return "private, no-store"
    if response.status_code == 429 or response.status_code >= 500:
        return "no-store"
    return PUBLIC_CACHE


def _out_of_range(name: str, low: int, high: int) -> str:
    return _(
        "%(name)s must be a whole number between %(low)d and %(high)d.",
        name=name,
        low=low,
        high=high,
    )


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
        abort(400, description=_out_of_range(name, low, high))
    value = int(raw)
    if not low <= value <= high:
        abort(400, description=_out_of_range(name, low, high))
    return value


def _each_parameter_once() -> None:
    # Every parameter takes one value; a repeated one would be read as its first value
    # while the request asked for something else.
    repeated = sorted(name for name, values in request.args.lists() if len(values) > 1)
    if repeated:
        abort(
            400,
            description=_("%(name)s may be given only once.", name=", ".join(repeated)),
        )


def _paging() -> tuple[int, int]:
    _each_parameter_once()
    page = _whole_number("page", 1, 1, openapi.MAX_PAGE)
    per_page = _whole_number("per_page", openapi.DEFAULT_PER_PAGE, 1, openapi.MAX_PER_PAGE)
    return page, per_page


def _page(pagination, items, endpoint: str, **values) -> dict:
    args = {**request.args.to_dict(), **values}

    def link(number):
        return public_url(endpoint, **{**args, "page": number})

    # Past the end, "previous" leads back to the last page that has items.
    previous = min(pagination.prev_num, max(pagination.pages, 1)) if pagination.has_prev else None
    return {
        "items": items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
        "next": link(pagination.next_num) if pagination.has_next else None,
        "previous": link(previous) if previous else None,
    }


@bp.get("/dialogues")
@limiter.limit("120 per minute")
def dialogue_list():
    page, per_page = _paging()
    pagination = dialogues.public_dialogues_page(page, per_page)
    items = [serializers.dialogue(d) for d in pagination.items]
    return jsonify(_page(pagination, items, "api.dialogue_list"))


@bp.get("/dialogues/<slug>")
@limiter.limit("120 per minute")
def dialogue_detail(slug: str):
    dialogue = _public_dialogue(slug)
    return jsonify(serializers.dialogue(dialogue, detail=True))


@bp.get("/dialogues/<slug>/report")
@limiter.limit("120 per minute")
def published_report(slug: str):
    from dialog.reports.as_moderated import public_content
    from dialog.reports.services import published_report

    dialogue = _public_dialogue(slug)
    published = published_report(dialogue.id)
    if published is None:
        abort(404, description=_("This dialogue has no published report."))
    # A proposal's title is null once moderators have taken it out of sight.
    content = public_content(published)
    return jsonify(serializers.published_report(dialogue, published, content))


@bp.get("/dialogues/<slug>/proposals")
@limiter.limit("120 per minute")
def proposal_list(slug: str):
    dialogue = _public_dialogue(slug)
    page, per_page = _paging()
    counts_shown = bool(proposal_permissions.can_see_vote_counts(EVERYONE, dialogue))
    _check_sort(request.args.get("sort", "newest"), counts_shown)
    _check_choice("status", proposals.STATUS_FILTERS)
    _check_choice("dimension", proposals.DIMENSIONS)
    filters = proposals.parse_filters(
        request.args, dialogue, counts_shown=counts_shown, sort_default="newest"
    )
    pagination = proposals.proposals_page(dialogue, filters, page, per_page=per_page)
    items = [serializers.proposal(p, counts_shown=counts_shown) for p in pagination.items]
    return jsonify(_page(pagination, items, "api.proposal_list", slug=slug))


def _public_dialogue(slug: str):
    try:
        return visible_dialogue(slug, EVERYONE)
    except Refused:
        abort(404, description=_("No public dialogue has that slug."))


def _check_choice(name: str, choices) -> None:
    # An unknown filter value is a 400, not a silently unfiltered list.
    value = request.args.get(name)
    if value is not None and value not in choices:
        abort(
            400,
            description=_(
                "%(name)s must be one of %(choices)s.",
                name=name,
                choices=", ".join(sorted(choices)),
            ),
        )


def _check_sort(sort: str, counts_shown: bool) -> None:
    if sort in proposals.VOTE_SORTS and not counts_shown:
        abort(
            400,
            description=_("Sorting by votes is possible once the results are published."),
        )
    offered = proposals.sorts_for(counts_shown)
    if sort not in proposals.API_SORTS:
        abort(
            400,
            description=_(
                "sort must be one of %(sorts)s.",
                sorts=", ".join(s for s in proposals.API_SORTS if s in offered),
            ),
        )


# Past the id column's range the database would fail on the comparison: 404 by routing.
@bp.get("/proposals/<int(min=1):proposal_id>")
@limiter.limit("120 per minute")
def proposal_detail(proposal_id: int):
    try:
        proposal = visible_proposal(proposal_id, EVERYONE)
    except Refused:
        proposal = None
    if proposal is None or not proposal.is_shown:  # out of sight while moderated
        abort(404, description=_("No public proposal has that id."))
    counts_shown = bool(proposal_permissions.can_see_vote_counts(EVERYONE, proposal.dialogue))
    data = serializers.proposal(proposal, counts_shown=counts_shown)
    data["answer"] = serializers.answer(proposals.answer(proposal))
    data["comments"] = [serializers.comment(c) for c in proposals.all_comments(proposal, EVERYONE)]
    data["dialogue_url"] = public_url("api.dialogue_detail", slug=proposal.dialogue.slug)
    return jsonify(data)


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())

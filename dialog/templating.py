"""What every template can use."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from dialog.accounts import permissions as account_permissions
from dialog.accounts.forms import ROLE_LABELS
from dialog.core.permissions import MOMENT_FORMAT
from dialog.dialogues.forms import CAPABILITY_LABELS, KIND_LABELS, STATE_LABELS
from dialog.proposals import permissions as proposal_permissions
from dialog.proposals.forms import (
    ANSWER_LABELS,
    DIMENSION_LABELS,
    SORT_LABELS,
    SOURCE_LABELS,
    STANCE_LABELS,
    VOTE_LABELS,
)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        format_datetime=format_datetime,
        format_date=format_date,
        current_language=lambda: str(get_locale()),
        language_url=_language_url,
        can_manage_roles=lambda: account_permissions.can_manage_roles(current_user),
        role_labels=ROLE_LABELS,
        kind_labels=KIND_LABELS,
        capability_labels=CAPABILITY_LABELS,
        state_labels=STATE_LABELS,
        moment_format=lambda: str(MOMENT_FORMAT),
        dimension_labels=DIMENSION_LABELS,
        dimension_labels_by_value={d.value: label for d, label in DIMENSION_LABELS.items()},
        vote_labels=VOTE_LABELS,
        sort_labels=SORT_LABELS,
        stance_labels=STANCE_LABELS,
        source_labels=SOURCE_LABELS,
        answer_labels=ANSWER_LABELS,
        can_edit_comment=lambda comment: proposal_permissions.can_edit_comment(
            current_user, comment
        ),
        can_delete_comment=lambda comment: proposal_permissions.can_delete_comment(
            current_user, comment
        ),
    )


def _language_url(lang: str) -> str:
    args = request.args.to_dict()
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"

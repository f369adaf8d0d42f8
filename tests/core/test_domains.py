"""Each domain registers itself, and create_app only names the domains."""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path
from typing import NamedTuple

import pytest
from flask import Flask
from flask_babel import Babel

import dialog
from dialog import DOMAINS


class Registered(NamedTuple):
    blueprints: frozenset[str]
    commands: frozenset[str]
    template_globals: frozenset[str]


def _registered(
    blueprints: tuple[str, ...] = (),
    commands: tuple[str, ...] = (),
    template_globals: tuple[str, ...] = (),
) -> Registered:
    return Registered(frozenset(blueprints), frozenset(commands), frozenset(template_globals))


# What each domain's init_app adds to the app: a new domain adds one entry here.
DECLARED = {
    "core": _registered(
        blueprints=("core",),
        # Flask-Migrate's command, bound by core with the database; backup and restore.
        commands=("db", "backup", "restore"),
        template_globals=(
            "format_datetime",
            "format_date",
            "format_decimal",
            "format_percent",
            "current_language",
            "language_url",
            "moment_format",
            "brand",
            "brand_url",
            "return_target",
        ),
    ),
    "accounts": _registered(
        blueprints=("accounts",),
        commands=("create-user",),
        template_globals=(
            "role_labels",
            "can_manage_roles",
            "two_factor_enabled",
            "two_factor_reset_form",
        ),
    ),
    "pages": _registered(blueprints=("pages",)),
    "moderation": _registered(
        blueprints=("moderation",),
        template_globals=(
            "may_flag",
            "may_moderate",
            "content_shown",
            "out_of_sight_notice",
            "queue_state_label",
            "flag_reason_label",
            "action_done_label",
            "review_offered",
        ),
    ),
    "notifications": _registered(
        blueprints=("notifications",),
        template_globals=("unread_notifications", "category_label"),
    ),
    "reports": _registered(
        blueprints=("reports",),
        commands=("report", "import-polis"),
        template_globals=(
            "report_status_label",
            "report_progress_text",
            "report_failure_text",
            "report_rankings",
            "report_source_label",
            "report_answer_label",
            "report_day",
            "report_map",
            "report_flag_reason",
            "report_area_part",
            "report_action",
            "report_day_bars",
            "report_chart",
            "report_busiest_day",
            "report_dimensions",
            "report_is_published",
            "can_compile_reports",
        ),
    ),
    "audit": _registered(blueprints=("audit",)),
    "districts": _registered(blueprints=("districts",), template_globals=("age_band_label",)),
    "dialogues": _registered(
        blueprints=("dialogues",),
        commands=("add-phase", "export-dialogue", "import-dialogue"),
        template_globals=(
            "kind_labels",
            "capability_labels",
            "state_labels",
            "state_action_labels",
            "phase_moments",
            "phase_kind",
        ),
    ),
    "proposals": _registered(
        blueprints=("proposals",),
        template_globals=(
            "dimension_labels",
            "dimension_labels_by_value",
            "vote_labels",
            "vote_button_labels",
            "back_instead_labels",
            "sort_labels",
            "stance_labels",
            "source_labels",
            "answer_labels",
            "answer_html",
            "can_edit_comment",
            "can_delete_comment",
            "can_reply_to",
            "dialogue_map",
            "proposal_map",
            "place_picker",
        ),
    ),
    "api": _registered(blueprints=("api",)),
    "demo": _registered(commands=("seed-demo", "reset-demo", "seed-scale")),
}


def _snapshot(app: Flask) -> Registered:
    return Registered(
        frozenset(app.blueprints), frozenset(app.cli.commands), frozenset(app.jinja_env.globals)
    )


def _babel_globals() -> frozenset[str]:
    """The translation functions Flask-Babel puts into Jinja (core binds Babel)."""
    bare = Flask(__name__)
    before = _snapshot(bare).template_globals
    Babel(bare)
    return _snapshot(bare).template_globals - before


@pytest.fixture
def fresh_app(app, monkeypatch):
    """A new app, with what each domain's init_app added recorded under the domain's name."""
    added: dict[str, Registered] = {}
    for name in DOMAINS:
        module = import_module(f"dialog.{name}")
        monkeypatch.setattr(module, "init_app", _recording(name, module.init_app, added))
    fresh = dialog.create_app()
    # Creating an app makes its Celery the default one; the suite's app stays the default.
    app.extensions["celery"].set_default()
    return fresh, added


def _recording(name, init_app, added):
    def record(app: Flask) -> None:
        before = _snapshot(app)
        init_app(app)
        after = _snapshot(app)
        added[name] = Registered(*(new - old for new, old in zip(after, before, strict=True)))

    return record


def test_every_package_of_dialog_is_a_listed_domain_with_an_init_app():
    packages = {p.parent.name for p in Path(dialog.__file__).parent.glob("*/__init__.py")}
    assert packages == set(DOMAINS)
    for name in DOMAINS:
        assert callable(import_module(f"dialog.{name}").init_app), name


def test_each_domain_registers_exactly_what_it_declares(fresh_app):
    _, added = fresh_app
    babel = _babel_globals()
    core = added["core"]
    assert babel <= core.template_globals
    added["core"] = core._replace(template_globals=core.template_globals - babel)
    assert added == DECLARED


def test_the_app_has_nothing_but_what_the_domains_register(fresh_app):
    fresh, _ = fresh_app
    assert set(fresh.blueprints) == {b for d in DECLARED.values() for b in d.blueprints}
    assert set(fresh.cli.commands) == {c for d in DECLARED.values() for c in d.commands}
    assert {"create-user", "add-phase", "seed-demo", "seed-scale"} <= set(fresh.cli.commands)


def test_every_label_dict_is_a_template_global(app):
    from dialog.accounts import labels as accounts
    from dialog.dialogues import labels as dialogues
    from dialog.proposals import labels as proposals

    template_globals = app.jinja_env.globals
    assert template_globals["role_labels"] is accounts.ROLE_LABELS
    assert template_globals["kind_labels"] is dialogues.KIND_LABELS
    assert template_globals["capability_labels"] is dialogues.CAPABILITY_LABELS
    assert template_globals["dimension_labels"] is proposals.DIMENSION_LABELS
    assert template_globals["vote_labels"] is proposals.VOTE_LABELS
    assert template_globals["sort_labels"] is proposals.SORT_LABELS
    assert template_globals["stance_labels"] is proposals.STANCE_LABELS
    assert template_globals["source_labels"] is proposals.SOURCE_LABELS
    assert template_globals["answer_labels"] is proposals.ANSWER_LABELS
    # Templates look these up by the enum's value.
    assert template_globals["state_labels"] == {
        state.value: label for state, label in dialogues.STATE_LABELS.items()
    }
    assert template_globals["dimension_labels_by_value"] == {
        dimension.value: label for dimension, label in proposals.DIMENSION_LABELS.items()
    }


def test_create_app_imports_no_domain_module():
    assert _domain_imports(
        "from dialog.core.db import x\nfrom . import api\nimport dialog.demo"
    ) == {
        "dialog.core.db",
        "dialog.core.db.x",
        "dialog.api",
        "dialog.demo",
    }
    assert _domain_imports(Path(dialog.__file__).read_text()) == set()


def _domain_imports(source: str) -> set[str]:
    domains = {f"dialog.{domain}" for domain in DOMAINS}
    return {name for name in _imported_names(source) if ".".join(name.split(".")[:2]) in domains}


def _imported_names(source: str) -> set[str]:
    """Every module, and every name taken from a module, that the source imports."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            # `from . import core` and `from .core import x` are relative to dialog.
            module = ".".join(filter(None, ["dialog" if node.level else "", node.module]))
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names

"""Fixtures the fuzzers share: the seeded content, and a rate-limit reset per example."""

from __future__ import annotations

import pytest

from tests.fuzz.seed import seed


@pytest.fixture
def seeded(make_dialogue, make_user, make_proposal, make_comment, cast_vote, make_answer):
    return seed(make_dialogue, make_user, make_proposal, make_comment, cast_vote, make_answer)


@pytest.fixture
def fresh_limits(app):
    """Call before each generated example: hundreds of requests a minute are the point of
    fuzzing, and a 429 would hide what the request itself does."""
    from dialog.extensions import limiter

    def reset():
        with app.app_context():
            limiter.reset()

    return reset


def pytest_terminal_summary(terminalreporter):
    """How many generated requests the fuzzers sent and got a good answer to, per target."""
    from collections import Counter

    from tests.fuzz import test_api_schema, test_forms

    counts = Counter(test_api_schema.cases_run) + Counter(test_forms.cases_run)
    if not counts:
        return
    terminalreporter.section("fuzz cases")
    for label, count in sorted(counts.items()):
        terminalreporter.write_line(f"{count:6d}  {label}")
    terminalreporter.write_line(f"{sum(counts.values()):6d}  in all")

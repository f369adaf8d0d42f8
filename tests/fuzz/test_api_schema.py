"""Schemathesis against /api/v1/openapi.json, in-process through the WSGI interface.

Every operation gets schema-conforming (positive) and non-conforming (negative) requests;
each answer must be no 5xx, a documented status code, content type, headers and body, and
must never carry a word of the invite-only dialogue. Derandomised and bounded, so the run
is the same every time and fits in the suite.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dialog.api import openapi
from tests.fuzz.seed import SECRET_SLUG, SECRET_WORDS

EXAMPLES_PER_OPERATION = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = [("GET", path) for path in openapi.document()["paths"]]
# A slug is any string, so a request with nothing but a slug cannot break its schema.
NOTHING_TO_NEGATE = {"/dialogues/{slug}", "/dialogues/{slug}/report"}
RUNS = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode is GenerationMode.NEGATIVE and path in NOTHING_TO_NEGATE)
]
FUZZ_SETTINGS = settings(
    derandomize=True,
    max_examples=EXAMPLES_PER_OPERATION,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
cases_run: list[str] = []


def _known_values(operation, seeded, mode):
    """Generated slugs and ids almost never name a real row: mix in the seeded ones (and the
    invite-only ones, which must answer 404) so the fuzzer reaches real content."""
    names = {p.name for p in operation.path_parameters}
    if "slug" in names:
        values = [{"slug": s} for s in [*seeded.slugs, SECRET_SLUG]]
    elif "id" in names:
        values = [{"id": i} for i in [*seeded.proposal_ids, seeded.secret_proposal_id]]
    else:
        return []
    return [operation.as_strategy(mode, path_parameters=v) for v in values]


@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_the_api_answers_every_request_as_its_schema_says(
    app, seeded, fresh_limits, method, path, mode
):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS
    strategy = st.one_of(operation.as_strategy(mode), *_known_values(operation, seeded, mode))

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case):
        fresh_limits()
        response = case.call()
        case.validate_response(response, checks=checks)
        text = response.text
        leaked = [word for word in SECRET_WORDS if word in text]
        assert not leaked, f"{case.formatted_path} leaked {leaked}"
        cases_run.append(path)

    run()

"""What the API fuzzer found, pinned as plain tests."""

from __future__ import annotations

import pytest

from tests.factories import LIVE


@pytest.mark.parametrize(
    "query", ["status=%7B%7D", "status=", "status=answered", "dimension=cultural"]
)
def test_an_unknown_filter_value_is_a_400_not_an_unfiltered_list(client, make_dialogue, query):
    make_dialogue(phases=LIVE)
    response = client.get(
        f"/api/v1/dialogues/stadskarna/proposals?{query}", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    name = query.split("=")[0]
    assert response.get_json()["error"]["reason"].startswith(f"{name} must be one of ")


@pytest.mark.parametrize(
    "query", ["status=accepted&status=rejected", "page=1&page=2", "sort=newest&sort=newest"]
)
def test_a_repeated_parameter_is_a_400(client, make_dialogue, query):
    make_dialogue(phases=LIVE)
    response = client.get(
        f"/api/v1/dialogues/stadskarna/proposals?{query}", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "may be given only once" in response.get_json()["error"]["reason"]


def test_known_filter_values_are_still_answered(client, make_dialogue):
    make_dialogue(phases=LIVE)
    response = client.get(
        "/api/v1/dialogues/stadskarna/proposals?status=unanswered&dimension=social"
    )
    assert response.status_code == 200


@pytest.mark.parametrize("proposal_id", ["0", "2147483648", "198961748072086"])
def test_an_id_outside_the_column_range_is_a_404(client, proposal_id):
    # On PostgreSQL the huge one was a 500 ("integer out of range").
    response = client.get(f"/api/v1/proposals/{proposal_id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_the_largest_id_is_still_looked_up(client):
    assert client.get("/api/v1/proposals/2147483647").status_code == 404

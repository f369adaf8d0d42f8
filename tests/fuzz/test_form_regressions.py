"""What the form fuzzer found, pinned as plain tests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support import post_form

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[17.62, 59.19], [17.63, 59.19], [17.63, 59.20], [17.62, 59.19]]],
}
EDIT = {
    "title": "Dialog om torget",
    "summary": "Sammanfattning",
    "visibility": "public",
    "vote_mode": "for_against",
    "vote_counts": "live",
}


@pytest.mark.parametrize("left_out", ["focus_areas", "themes", "named_places", "place_area"])
def test_a_dialogue_edit_that_leaves_out_a_list_field_keeps_the_stored_value(
    app, client, login, admin, make_dialogue, left_out
):
    # The stored list (or shape) stood in for the missing text and the save was a 500.
    from dialog.dialogues.models import Dialogue
    from dialog.extensions import db

    dialogue = make_dialogue(
        themes=["Grönska"], focus_areas=["Torget"], named_places=["Kanalen"], place_area=POLYGON
    )
    login(admin)
    sent = {
        **EDIT,
        "themes": "Grönska",
        "focus_areas": "Torget",
        "named_places": "Kanalen",
        "place_area": "",
    }
    del sent[left_out]
    response = post_form(client, f"/admin/dialogues/{dialogue.id}/edit", sent)
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.scalars(select(Dialogue).where(Dialogue.id == dialogue.id)).one()
        kept = {
            "themes": ["Grönska"],
            "focus_areas": ["Torget"],
            "named_places": ["Kanalen"],
            "place_area": POLYGON,
        }[left_out]
        assert getattr(saved, left_out) == kept

import json
import re

import pytest

PROPOSING = (("proposals", -1, 24),)


@pytest.fixture
def placed(make_dialogue, make_proposal):
    """Two proposals at Marenplan (one with coordinates) and one without a place."""

    def build():
        dialogue = make_dialogue(phases=PROPOSING)
        make_proposal(
            dialogue,
            title="Ljus",
            body="B",
            place_name="Marenplan",
            place_lat=59.1955,
            place_lon=17.6253,
        )
        make_proposal(dialogue, title="Bänkar", body="B", place_name="Marenplan")
        make_proposal(dialogue, title="Utan plats", body="B")

    return build


def test_without_tiles_the_map_page_is_a_list_of_places(client, ctx, db, placed):
    placed()
    page = client.get("/d/stadskarna/proposals/map").get_data(as_text=True)
    assert "Marenplan" in page and "Ljus" in page and "Bänkar" in page
    assert "Utan plats" not in page
    assert 'id="proposal-map"' not in page and "leaflet.js" not in page


def test_with_a_tile_server_the_map_gets_its_points_and_leaflet_from_the_package(
    app, client, ctx, db, monkeypatch, placed
):
    placed()
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://tiles.kommun.se/{z}/{x}/{y}.png")
    response = client.get("/d/stadskarna/proposals/map")
    page = response.get_data(as_text=True)
    points = json.loads(re.search(r'data-points="([^"]*)"', page).group(1).replace("&#34;", '"'))
    assert [(p["title"], p["lat"]) for p in points] == [("Ljus", 59.1955)]
    assert "https://tiles.kommun.se" in response.headers["Content-Security-Policy"]
    # Files are sent open; closing each response closes its file.
    with client.get("/vendor/leaflet/leaflet.js") as script:
        assert script.status_code == 200
    with client.get("/vendor/leaflet/leaflet.css") as style:
        assert style.mimetype == "text/css"
    assert client.get("/vendor/leaflet/../../../../etc/passwd").status_code == 404

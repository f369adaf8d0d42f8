import json
import re

from dialog.proposals import services

PROPOSING = (("proposals", -1, 24),)


def _placed(db):
    dialogue = make_dialogue(phases=PROPOSING)
    services.create_proposal(
        dialogue,
        author=None,
        title="Ljus",
        body="B",
        place_name="Marenplan",
        place_lat=59.1955,
        place_lon=17.6253,
    )
    services.create_proposal(
        dialogue, author=None, title="Bänkar", body="B", place_name="Marenplan"
    )
    services.create_proposal(dialogue, author=None, title="Utan plats", body="B")
    db.session.commit()


def test_without_tiles_the_map_page_is_a_list_of_places(client, ctx, db):
    _placed(db)
    page = client.get("/d/stadskarna/proposals/map").get_data(as_text=True)
    assert "Marenplan" in page and "Ljus" in page and "Bänkar" in page
    assert "Utan plats" not in page
    assert 'id="proposal-map"' not in page and "leaflet.js" not in page


def test_with_a_tile_server_the_map_gets_its_points_and_leaflet_from_the_package(
    app, client, ctx, db, monkeypatch
):
    _placed(db)
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://tiles.kommun.se/{z}/{x}/{y}.png")
    response = client.get("/d/stadskarna/proposals/map")
    page = response.get_data(as_text=True)
    points = json.loads(re.search(r'data-points="([^"]*)"', page).group(1).replace("&#34;", '"'))
    assert [(p["title"], p["lat"]) for p in points] == [("Ljus", 59.1955)]
    assert "https://tiles.kommun.se" in response.headers["Content-Security-Policy"]
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/vendor/leaflet/leaflet.css").mimetype == "text/css"
    assert client.get("/vendor/leaflet/../../../../etc/passwd").status_code == 404

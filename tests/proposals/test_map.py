"""The maps drawn on the server: the area's outline and the proposals' points as an SVG
that needs neither JavaScript nor tiles, on the list's map, the dialogue page and the
proposal page, and the data the proposal form's map picker starts from."""

import html
import json
import re

import pytest

from dialog.core import geometry
from dialog.proposals import maps
from tests.support import post_form

PROPOSING = (("proposals", -1, 24),)
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[17.62, 59.19], [17.63, 59.19], [17.63, 59.20], [17.62, 59.20], [17.62, 59.19]]
    ],
}


@pytest.fixture
def placed(make_dialogue, make_proposal):
    """Two proposals at Marenplan (one with coordinates), one at a point without a
    name, and one without a place."""

    def build(**fields):
        dialogue = make_dialogue(phases=PROPOSING, named_places=["Marenplan", "Torget"], **fields)
        ljus = make_proposal(
            dialogue,
            title="Ljus",
            body="B",
            place_name="Marenplan",
            place_lat=59.1955,
            place_lon=17.6253,
        )
        make_proposal(dialogue, title="Bänkar", body="B", place_name="Marenplan")
        make_proposal(dialogue, title="Träd", body="B", place_lat=59.1920, place_lon=17.6280)
        make_proposal(dialogue, title="Utan plats", body="B")
        return dialogue, ljus

    return build


def _svg(page: str, figure_id: str) -> str:
    figure = re.search(rf'<figure class="area-map" id="{figure_id}".*?</figure>', page, re.S)
    assert figure, f"no map {figure_id} on the page"
    return figure.group(0)


def _map_data(figure: str) -> dict:
    return json.loads(html.unescape(re.search(r'data-map="([^"]*)"', figure).group(1)))


def test_the_list_map_draws_the_area_and_links_each_point_to_its_proposal(client, ctx, db, placed):
    _dialogue, ljus = placed(place_area=AREA)
    page = client.get("/d/stadskarna/proposals/map").get_data(as_text=True)
    figure = _svg(page, "proposal-map")
    assert figure.count('class="area-map-outline"') == 1
    links = dict(
        re.findall(r'<a href="([^"]+)" class="area-map-dot"><title>([^<]+)</title>', figure)
    )
    assert links[f"/p/{ljus.id}"] == "Ljus" and "Träd" in links.values()
    assert "Utan plats" not in figure and "Bänkar" not in figure  # no point, no dot
    # The text alternative stays: every place in words, with its proposals.
    places = page.split('id="places"', 1)[1]
    assert "Marenplan" in places and "Bänkar" in places and "En punkt på kartan" in places
    assert "2 förslag är markerade på kartan." in figure
    assert sorted(m["title"] for m in _map_data(figure)["markers"]) == ["Ljus", "Träd"]


def test_without_a_tile_server_no_tile_is_named_and_the_map_is_still_drawn(
    app, client, ctx, db, monkeypatch, placed
):
    placed(place_area=AREA)
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "")
    response = client.get("/d/stadskarna/proposals/map")
    page = response.get_data(as_text=True)
    assert 'data-tile-url=""' in _svg(page, "proposal-map")
    assert '<path class="area-map-outline"' in page and "<circle" in page
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]


def test_with_a_tile_server_the_map_names_it_and_leaflet_comes_from_the_package(
    app, client, ctx, db, monkeypatch, placed
):
    placed()
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://tiles.kommun.se/{z}/{x}/{y}.png")
    monkeypatch.setitem(app.config, "MAP_TILE_ATTRIBUTION", "© Södertälje kommun")
    response = client.get("/d/stadskarna/proposals/map")
    figure = _svg(response.get_data(as_text=True), "proposal-map")
    assert 'data-tile-url="https://tiles.kommun.se/{z}/{x}/{y}.png"' in figure
    assert 'data-attribution="© Södertälje kommun"' in figure
    assert "https://tiles.kommun.se" in response.headers["Content-Security-Policy"]
    # Files are sent open; closing each response closes its file.
    with client.get("/vendor/leaflet/leaflet.js") as script:
        assert script.status_code == 200
    with client.get("/vendor/leaflet/leaflet.css") as style:
        assert style.mimetype == "text/css"
    assert client.get("/vendor/leaflet/../../../../etc/passwd").status_code == 404


def test_points_close_together_are_one_circle_with_their_count(
    client, ctx, db, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING, place_area=AREA)
    for number in range(3):
        make_proposal(
            dialogue, title=f"Nära {number}", place_lat=59.1950 + number * 1e-5, place_lon=17.625
        )
    make_proposal(dialogue, title="Långt bort", place_lat=59.1995, place_lon=17.6295)
    figure = _svg(client.get("/d/stadskarna/proposals/map").get_data(as_text=True), "proposal-map")
    cluster = re.search(r'<a href="#places" class="area-map-dot area-map-cluster">.*?</a>', figure)
    assert cluster and "3 förslag nära varandra" in cluster.group(0)
    assert '<text x="' in cluster.group(0) and ">3</text>" in cluster.group(0)
    assert "<title>Långt bort</title>" in figure
    # The Leaflet map gets each point, to cluster again at every zoom.
    assert len(_map_data(figure)["markers"]) == 4


def test_titles_and_places_in_the_map_are_text(client, ctx, db, make_dialogue, make_proposal):
    dialogue = make_dialogue(phases=PROPOSING, named_places=['<b>"Torg"</b>'])
    payload = '<script>alert("x")</script>&"'
    make_proposal(
        dialogue, title=payload, place_name='<b>"Torg"</b>', place_lat=59.19, place_lon=17.62
    )
    page = client.get("/d/stadskarna/proposals/map").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>" not in page
    figure = _svg(page, "proposal-map")
    assert "<title>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&#34;</title>" in figure
    assert _map_data(figure)["markers"][0]["title"] == payload


def test_a_dialogue_without_an_area_or_points_shows_no_empty_map(
    client, ctx, db, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING, named_places=["Marenplan"])
    make_proposal(dialogue, title="Bänkar", place_name="Marenplan")
    map_page = client.get("/d/stadskarna/proposals/map").get_data(as_text=True)
    assert "area-map" not in map_page and "Bänkar" in map_page
    assert "area-map" not in client.get("/d/stadskarna").get_data(as_text=True)


def test_the_dialogue_page_draws_its_area_and_leads_to_the_full_map(client, ctx, db, make_dialogue):
    make_dialogue(phases=PROPOSING, place_area=AREA)
    page = client.get("/d/stadskarna").get_data(as_text=True)
    figure = _svg(page, "dialogue-map")
    assert figure.count('class="area-map-outline"') == 1 and "area-map-dot" not in figure
    assert "Konturen är dialogens område." in figure
    assert "Inget förslag är markerat på kartan ännu." in figure
    assert 'href="/d/stadskarna/proposals/map"' in page


def test_the_dialogue_page_draws_the_newest_points_and_says_how_many_more(
    client, ctx, db, monkeypatch, placed
):
    placed(place_area=AREA)
    monkeypatch.setattr(maps, "DIALOGUE_MARKERS", 1)
    figure = _svg(client.get("/d/stadskarna").get_data(as_text=True), "dialogue-map")
    assert "<title>Träd</title>" in figure and "<title>Ljus</title>" not in figure
    assert "2 förslag är markerade på kartan. Det nyaste visas här." in figure
    assert 'href="/d/stadskarna/proposals/map"' in figure


def test_a_point_far_outside_the_area_is_left_out_of_the_drawing_and_said(
    client, ctx, db, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING, place_area=AREA)
    make_proposal(dialogue, title="Inne", place_lat=59.195, place_lon=17.625)
    make_proposal(dialogue, title="Null Island", place_lat=0.0, place_lon=0.0)
    figure = _svg(client.get("/d/stadskarna/proposals/map").get_data(as_text=True), "proposal-map")
    assert "<title>Inne</title>" in figure and "Null Island" not in figure
    assert "1 ligger långt utanför området och ritas inte ut." in figure


def test_the_proposal_page_draws_its_own_point_in_the_area(client, ctx, db, placed):
    _dialogue, ljus = placed(place_area=AREA)
    page = client.get(f"/p/{ljus.id}").get_data(as_text=True)
    figure = _svg(page, "proposal-place-map")
    assert 'role="img"' in figure and figure.count('class="area-map-point"') == 1
    assert "Förslagets punkt i dialogens område (konturen)." in figure
    assert "Latitud 59,1955, longitud 17,6253" in page


def test_the_proposal_page_says_when_its_point_lies_outside_the_area(
    client, ctx, db, make_dialogue, make_proposal
):
    dialogue = make_dialogue(phases=PROPOSING, place_area=AREA)
    outside = make_proposal(dialogue, title="Utanför", place_lat=59.21, place_lon=17.60)
    figure = _svg(client.get(f"/p/{outside.id}").get_data(as_text=True), "proposal-place-map")
    assert "Förslagets punkt ligger utanför dialogens område (konturen)." in figure
    assert 'class="area-map-point"' in figure  # still drawn: the frame takes it in


def test_a_proposal_without_a_point_has_no_map(client, ctx, db, placed):
    placed(place_area=AREA)
    from dialog.extensions import db as database
    from dialog.proposals.models import Proposal

    bankar = database.session.query(Proposal).filter_by(title="Bänkar").one()
    assert "area-map" not in client.get(f"/p/{bankar.id}").get_data(as_text=True)


def test_the_form_offers_the_picker_with_the_named_places_the_proposals_locate(
    client, ctx, db, resident, login, placed
):
    placed(place_area=AREA)
    login(resident)
    page = client.get("/d/stadskarna/proposals/new").get_data(as_text=True)
    picker = re.search(r'<div class="map-picker" id="place-picker" hidden.*?>', page, re.S).group(0)
    data = json.loads(html.unescape(re.search(r'data-picker="([^"]*)"', picker).group(1)))
    # Marenplan has a proposal with a point; Torget none, so the map cannot move there.
    assert data["places"] == {"Marenplan": [59.1955, 17.6253]}
    assert data["area"] == AREA and data["box"] == [17.62, 59.19, 17.63, 59.2]
    # Without JavaScript: the inputs, and where the area lies in numbers.
    assert 'id="place_lat"' in page and 'id="place_lon"' in page
    assert "Dialogens område ligger mellan latitud 59.19 och 59.2" in page


def test_without_area_points_or_tiles_the_form_has_only_the_inputs(
    app, client, ctx, db, resident, login, make_dialogue, monkeypatch
):
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "")
    make_dialogue(phases=PROPOSING)
    login(resident)
    page = client.get("/d/stadskarna/proposals/new").get_data(as_text=True)
    assert "place-picker" not in page and "leaflet.js" not in page
    assert 'id="place_lat"' in page


@pytest.mark.parametrize(("lat", "lon"), [("norr", "17.6"), ("95", "17.6"), ("59.19", "")])
def test_bad_coordinates_get_the_inline_errors_not_a_500(
    client, ctx, db, resident, login, make_dialogue, lat, lon
):
    make_dialogue(phases=PROPOSING, place_area=AREA)
    login(resident)
    response = post_form(
        client,
        "/d/stadskarna/proposals/new",
        {"title": "T", "body": "B", "place_lat": lat, "place_lon": lon},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and 'aria-invalid="true"' in page


def test_a_point_far_outside_the_area_is_accepted_and_the_proposal_page_warns(
    client, ctx, db, resident, login, make_dialogue
):
    make_dialogue(phases=PROPOSING, place_area=AREA)
    login(resident)
    response = post_form(
        client,
        "/d/stadskarna/proposals/new",
        {"title": "Långt bort", "body": "B", "place_lat": "-45", "place_lon": "170"},
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Förslagets punkt ligger utanför dialogens område" in page


def test_geometry_frames_and_contains():
    assert geometry.contains(AREA, 59.195, 17.625)
    assert not geometry.contains(AREA, 59.21, 17.625)
    holed = {
        "type": "Polygon",
        "coordinates": [
            *AREA["coordinates"],
            [
                [17.624, 59.194],
                [17.626, 59.194],
                [17.626, 59.196],
                [17.624, 59.196],
                [17.624, 59.194],
            ],
        ],
    }
    assert not geometry.contains(holed, 59.195, 17.625)
    assert geometry.contains(None, 0, 0)
    west, south, east, north = geometry.widened((17.6, 59.1, 17.6, 59.1), 0.004)
    assert round(east - west, 6) == 0.004 and round(north - south, 6) == 0.004
    project = geometry.Projection.of((17.62, 59.19, 17.63, 59.20), 600)
    assert project(17.62, 59.20) == [0.0, 0.0] and project.height == 600.0


def test_an_area_with_a_hole_is_one_path_drawn_by_the_even_odd_rule(client, ctx, db, make_dialogue):
    hole = [[17.624, 59.194], [17.626, 59.194], [17.626, 59.196], [17.624, 59.194]]
    make_dialogue(
        phases=PROPOSING,
        place_area={"type": "Polygon", "coordinates": [*AREA["coordinates"], hole]},
    )
    figure = _svg(client.get("/d/stadskarna").get_data(as_text=True), "dialogue-map")
    path = re.search(r'<path class="area-map-outline" fill-rule="evenodd" d="([^"]+)"', figure)
    assert path and path.group(1).count("M") == 2 and path.group(1).count("Z") == 2

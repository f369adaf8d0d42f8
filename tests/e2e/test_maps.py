"""The maps in a browser: the proposal form's map picker, the clusters of the list's map,
the drawn map without JavaScript, tiles from a tile server when one is named, and axe on
every map page in both languages, on a phone and on a desktop."""

import base64
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, log_in

pytestmark = pytest.mark.e2e

PROPOSING = (("proposals", -1, 24),)
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[17.62, 59.19], [17.63, 59.19], [17.63, 59.20], [17.62, 59.20], [17.62, 59.19]]
    ],
}
MARENPLAN = (59.1955, 17.6253)
# A 1 x 1 grey PNG: what the test's tile server answers for every tile.
TILE = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGO4AwAA5gDlp6SmZQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def area_dialogue(make_dialogue, make_proposal):
    """Stadskärnan with an area, named places, a proposal at Marenplan and, with
    `cluster`, five more close together by the square's south-west corner."""

    def build(cluster: int = 0):
        dialogue = make_dialogue(
            "stadskarna",
            title="Stadskärnan",
            phases=PROPOSING,
            place_area=AREA,
            named_places=["Marenplan", "Torget"],
        )
        make_proposal(
            dialogue,
            title="Ljus på Marenplan",
            place_name="Marenplan",
            place_lat=MARENPLAN[0],
            place_lon=MARENPLAN[1],
        )
        for number in range(cluster):
            make_proposal(
                dialogue,
                title=f"Bänk {number + 1}",
                place_lat=59.1910 + number * 0.0001,
                place_lon=17.6210 + number * 0.0001,
            )
        return dialogue

    return build


@pytest.fixture
def tile_server():
    """A tile server on loopback that answers every path with a PNG and notes it."""
    requested = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(TILE)))
            self.end_headers()
            self.wfile.write(TILE)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, name="tile-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requested
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def _values(page) -> tuple[str, str]:
    return page.locator("#place_lat").input_value(), page.locator("#place_lon").input_value()


def test_the_picker_sets_the_point_by_click_and_by_a_named_place_and_submits_it(
    page, make_user, area_dialogue
):
    area_dialogue()
    log_in(page, make_user().email)
    page.goto("/d/stadskarna/proposals/new")
    picker = page.get_by_role("region", name="Karta för att välja förslagets punkt")
    expect(picker).to_be_visible()
    assert_accessible(page)

    # A click in the middle of the map (the middle of the area) sets the point there.
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    lat, lon = _values(page)
    assert 59.19 < float(lat) < 59.20 and 17.62 < float(lon) < 17.63
    expect(page.get_by_role("status")).to_contain_text(f"latitud {lat}, longitud {lon}")
    expect(page.get_by_role("button", name=re.compile("Förslagets punkt"))).to_be_visible()

    # Choosing a named place that a proposal has located moves the point there.
    page.get_by_label("Plats (frivilligt)").select_option("Marenplan")
    assert _values(page) == ("59.1955", "17.6253")
    # One the proposals have not located leaves the point where it was.
    page.get_by_label("Plats (frivilligt)").select_option("Torget")
    assert _values(page) == ("59.1955", "17.6253")

    page.get_by_role("button", name="Ta bort punkten").click()
    assert _values(page) == ("", "")
    expect(page.get_by_role("status")).to_have_text("Punkten är borttagen.")
    expect(page.locator(".map-picker .leaflet-marker-icon")).to_have_count(0)

    # Keyboard users: pan with the arrow keys, then put the point in the middle.
    picker.focus()
    page.keyboard.press("ArrowUp")
    page.get_by_role("button", name="Sätt punkten mitt på kartan").click()
    lat, lon = _values(page)
    assert lat and lon
    assert_accessible(page)

    page.get_by_label("Rubrik").fill("Träd på torget")
    page.get_by_label("Ditt förslag").fill("Plantera lindar.")
    page.get_by_role("button", name="Publicera förslaget").click()
    expect(page.get_by_text("är publicerat")).to_be_visible()
    caption = page.locator("#proposal-place-map figcaption")
    expect(caption).to_contain_text("Förslagets punkt")
    expect(page.get_by_text(re.compile(r"Latitud 59,\d+, longitud 17,\d+"))).to_be_visible()


def test_typed_coordinates_move_the_marker_and_a_point_outside_is_warned_of(
    page, make_user, area_dialogue
):
    area_dialogue()
    log_in(page, make_user().email)
    page.goto("/d/stadskarna/proposals/new")
    page.get_by_label("Latitud (frivilligt)").fill("59.1930")
    page.get_by_label("Longitud (frivilligt)").fill("17.6240")
    page.get_by_label("Longitud (frivilligt)").press("Tab")
    expect(page.locator(".map-picker .leaflet-marker-icon")).to_have_count(1)
    # Dragging the marker writes the inputs; far out of the area, the status warns.
    marker = page.locator(".map-picker .leaflet-marker-icon")
    page.wait_for_timeout(400)  # the map pans to the typed point
    page.locator(".map-picker-map").scroll_into_view_if_needed()
    marker_box = marker.bounding_box()
    map_box = page.locator(".map-picker-map").bounding_box()
    page.mouse.move(
        marker_box["x"] + marker_box["width"] / 2, marker_box["y"] + marker_box["height"] - 4
    )
    page.mouse.down()
    page.mouse.move(map_box["x"] + 8, map_box["y"] + 8, steps=12)
    page.mouse.up()
    lat, lon = _values(page)
    assert float(lat) > 59.1930 and float(lon) < 17.6240
    expect(page.get_by_role("status")).to_contain_text("utanför dialogens område")


def test_clusters_show_their_count_and_open_with_the_keyboard(page, area_dialogue):
    area_dialogue(cluster=5)
    page.goto("/d/stadskarna/proposals/map")
    cluster = page.get_by_role("button", name="5 förslag nära varandra – zooma in")
    expect(cluster).to_be_visible()
    expect(cluster).to_have_text("5")
    expect(page.get_by_role("button", name="Ljus på Marenplan")).to_be_visible()
    assert_accessible(page)

    cluster.focus()
    page.keyboard.press("Enter")
    # Zoomed in: the five are markers of their own (or smaller clusters), and the
    # focus is on the one that holds the first of them.
    expect(cluster).to_have_count(0)
    focused = page.evaluate("document.activeElement.getAttribute('title')")
    assert focused and ("Bänk 1" in focused or "förslag nära varandra" in focused)
    while page.get_by_role("button", name=re.compile("förslag nära varandra")).count():
        page.get_by_role("button", name=re.compile("förslag nära varandra")).first.press(" ")
        page.wait_for_timeout(400)
    expect(page.get_by_role("button", name=re.compile(r"^Bänk \d$"))).to_have_count(5)
    page.get_by_role("button", name="Bänk 1").press("Enter")
    expect(page.locator(".leaflet-popup").get_by_role("link", name="Bänk 1")).to_be_visible()
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")  # faded in
    assert_accessible(page)


def test_without_javascript_the_drawn_map_and_the_inputs_work(
    page_without_js, make_user, area_dialogue
):
    page = page_without_js
    area_dialogue(cluster=3)
    page.goto("/d/stadskarna")
    drawn = page.locator("#dialogue-map svg")
    expect(drawn).to_be_visible()
    expect(drawn.locator("path.area-map-outline")).to_have_count(1)
    page.goto("/d/stadskarna/proposals/map")
    expect(page.locator("#proposal-map svg a")).to_have_count(2)  # one proposal, one cluster
    page.get_by_role("link", name="3 förslag nära varandra – se listan över platser").click()
    assert page.url.endswith("#places")  # the list below names them all
    expect(page.locator("#places + ul").get_by_role("link", name="Bänk 2")).to_be_visible()
    page.get_by_role("link", name="Ljus på Marenplan").first.click()
    expect(page.locator("#proposal-place-map svg circle")).to_have_count(1)

    log_in(page, make_user().email)
    page.goto("/d/stadskarna/proposals/new")
    expect(page.locator("#place-picker")).to_be_hidden()
    page.get_by_label("Rubrik").fill("Cykelställ vid stationen")
    page.get_by_label("Ditt förslag").fill("Tio nya cykelställ.")
    page.get_by_label("Latitud (frivilligt)").fill("59.1931")
    page.get_by_label("Longitud (frivilligt)").fill("17.6222")
    page.get_by_role("button", name="Publicera förslaget").click()
    expect(page.get_by_text("Latitud 59,1931, longitud 17,6222")).to_be_visible()
    # Bad coordinates: the inline errors, typed text kept.
    page.goto("/d/stadskarna/proposals/new")
    page.get_by_label("Rubrik").fill("Fel")
    page.get_by_label("Ditt förslag").fill("Fel.")
    page.get_by_label("Latitud (frivilligt)").fill("95")
    page.get_by_role("button", name="Publicera förslaget").click()
    expect(page.locator(".error-summary")).to_be_visible()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_drawn_map_is_accessible_when_leaflet_does_not_load(new_page, area_dialogue, lang):
    """axe needs JavaScript, so the drawing is checked in a browser whose Leaflet fails
    to load: map.js then leaves the SVG, as a browser without JavaScript shows it."""
    area_dialogue(cluster=3)
    page = new_page(viewport={"width": 375, "height": 800})
    page.route("**/vendor/leaflet/leaflet.js", lambda route: route.abort())
    if lang == "en":
        page.goto("/?lang=en")
    for path in ("/d/stadskarna", "/d/stadskarna/proposals/map"):
        page.goto(path)
        expect(page.locator("figure.area-map svg")).to_be_visible()
        assert_accessible(page)
    page.locator("#proposal-map svg a").first.focus()
    assert page.evaluate("document.activeElement.closest('svg') !== null")
    page.locator("#places + ul a").first.click()
    expect(page.locator("#proposal-place-map svg")).to_be_visible()
    assert_accessible(page)


def test_without_a_tile_server_the_map_asks_for_no_tiles(app, page, live_server, area_dialogue):
    area_dialogue(cluster=2)
    assert not app.config["MAP_TILE_URL"]
    elsewhere = []
    page.on("request", lambda r: None if r.url.startswith(live_server) else elsewhere.append(r.url))
    page.goto("/d/stadskarna/proposals/map")
    expect(page.locator(".area-map-live svg path")).to_have_count(1)  # the outline
    expect(page.locator(".area-map-live .leaflet-marker-icon")).to_have_count(2)  # 1 + a cluster
    expect(page.locator(".leaflet-tile")).to_have_count(0)
    expect(page.locator("#proposal-map .area-map-drawing")).to_be_hidden()
    assert elsewhere == []


def test_with_a_tile_server_the_maps_request_its_tiles(
    app, page, monkeypatch, area_dialogue, tile_server
):
    origin, requested = tile_server
    area_dialogue(cluster=2)
    monkeypatch.setitem(app.config, "MAP_TILE_URL", f"{origin}/tiles/{{z}}/{{x}}/{{y}}.png")
    monkeypatch.setitem(app.config, "MAP_TILE_ATTRIBUTION", "© Kommunens karta")
    page.goto("/d/stadskarna/proposals/map")
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    assert any(re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", path) for path in requested)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© Kommunens karta")
    assert_accessible(page)
    requested.clear()
    page.goto("/d/stadskarna")
    expect(page.locator("#dialogue-map .leaflet-tile-loaded").first).to_be_visible()
    assert requested


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_map_pages_are_accessible(new_page, make_user, area_dialogue, lang, width):
    area_dialogue(cluster=3)
    page = new_page(viewport={"width": width, "height": 900})
    if lang == "en":
        page.goto("/?lang=en")
    page.goto("/d/stadskarna")
    expect(page.locator("#dialogue-map .area-map-live")).to_be_visible()
    assert_accessible(page)
    page.goto("/d/stadskarna/proposals/map")
    expect(page.locator("#proposal-map .map-cluster")).to_have_count(1)
    assert_accessible(page)
    page.locator("#places + ul a").first.click()
    expect(page.locator("#proposal-place-map .area-map-live")).to_be_visible()
    assert_accessible(page)
    page.locator(".area-map-live .leaflet-marker-icon").click()
    expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")
    assert_accessible(page)
    email = make_user().email
    _log_in(page, email, lang)
    page.goto("/d/stadskarna/proposals/new")
    expect(page.locator("#place-picker .leaflet-container")).to_be_visible()
    assert_accessible(page)


def _log_in(page, email: str, lang: str) -> None:
    """Log in through the login page in the session's language."""
    from tests.support import PASSWORD

    page.goto("/login")
    page.get_by_label("E-postadress" if lang == "sv" else "Email address").fill(email)
    page.get_by_label("Lösenord" if lang == "sv" else "Password").fill(PASSWORD)
    page.get_by_role("button", name="Logga in" if lang == "sv" else "Log in").click()
    expect(
        page.get_by_role("button", name="Logga ut" if lang == "sv" else "Log out")
    ).to_be_visible()

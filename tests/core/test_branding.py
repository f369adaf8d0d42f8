"""The municipality's look: name, logo, colour (refused when its contrast is too low) and
favicon, served by the app with long-lived caching and no inline styles."""

from __future__ import annotations

import re

import pytest

import config
from dialog import create_app
from dialog.core.branding import Brand, darken

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20">'
    '<rect width="40" height="20" fill="#fff"/></svg>'
)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [("#ffffff", "#000000", 21.0), ("#767676", "#ffffff", 4.54), ("#005a8c", "#ffffff", 7.39)],
)
def test_contrast_is_wcags(first, second, ratio):
    assert config.contrast(first, second) == pytest.approx(ratio, abs=0.01)


def test_the_panel_colour_is_the_stylesheets():
    from tests.support import ROOT

    assert f"--panel: {config.PANEL_COLOUR};" in (ROOT / "static/css/main.css").read_text()


@pytest.mark.parametrize(
    ("colour", "says"),
    [
        ("#ffcc00", "has a contrast of 1.5:1 against white"),
        ("#3d9be9", "has a contrast of 3.0:1 against white"),
        # 4.54:1 on white, but links in an answer's pale panel would fall short.
        ("#767676", "has a contrast of 4.2:1 against the pale panels (#f3f6f8)"),
        ("red", "must be a colour written #rrggbb"),
        ("#12345", "must be a colour written #rrggbb"),
    ],
)
def test_a_colour_white_text_cannot_be_read_on_is_refused(monkeypatch, colour, says):
    monkeypatch.setenv("BRAND_COLOUR", colour)
    with pytest.raises(config.ConfigurationError) as error:
        config.load("development")
    assert any(says in problem for problem in error.value.problems), error.value.problems


def test_logo_and_favicon_files_are_checked(monkeypatch, tmp_path):
    (tmp_path / "logo.gif").write_bytes(b"GIF89a")
    (tmp_path / "huge.png").write_bytes(b"\0" * (config.LARGEST_BRAND_IMAGE + 1))
    monkeypatch.setenv("BRAND_LOGO", str(tmp_path / "logo.gif"))
    monkeypatch.setenv("BRAND_FAVICON", str(tmp_path / "missing.ico"))
    with pytest.raises(config.ConfigurationError) as error:
        config.load("development")
    problems = error.value.problems
    assert any("BRAND_LOGO must be a .svg, .png file" in p for p in problems), problems
    assert any("BRAND_FAVICON names" in p and "not a readable file" in p for p in problems)
    monkeypatch.setenv("BRAND_LOGO", str(tmp_path / "huge.png"))
    monkeypatch.delenv("BRAND_FAVICON")
    with pytest.raises(config.ConfigurationError) as error:
        config.load("development")
    assert any("BRAND_LOGO is larger than 512 kB" in p for p in error.value.problems)


@pytest.fixture
def branded(tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_text(LOGO)
    site = create_app(
        SITE_NAME="Tyck till i Tälje",
        MUNICIPALITY_NAME="Södertälje kommun",
        BRAND_COLOUR="#6B1D5C",
        BRAND_LOGO=str(logo),
    )
    site.extensions["brand"] = Brand.from_config(site.config)
    return site


def _asset(html: str, name: str) -> str:
    return re.search(rf'"(/brand/[0-9a-f]+/{re.escape(name)})"', html).group(1)


def test_the_pages_carry_the_municipalitys_name_logo_and_colour(branded):
    client = branded.test_client()
    html = client.get("/").get_data(as_text=True)
    assert "<title>" in html and "– Tyck till i Tälje</title>" in html
    assert 'class="brand-logo"' in html and 'alt="Södertälje kommun"' in html
    assert "residents and Södertälje kommun" in html or "Södertälje kommun formar" in html
    assert " style=" not in html  # the colour comes as a stylesheet, never inline

    css = client.get(_asset(html, "brand.css"))
    assert css.mimetype == "text/css"
    assert f"--accent: #6b1d5c; --accent-dark: {darken('#6b1d5c')};" in css.get_data(as_text=True)
    assert "immutable" in css.headers["Cache-Control"]

    logo = client.get(_asset(html, "logo"))
    assert logo.mimetype == "image/svg+xml" and logo.get_data(as_text=True) == LOGO
    assert "sandbox" in logo.headers["Content-Security-Policy"]

    favicon = client.get(_asset(html, "favicon"))
    assert favicon.mimetype == "image/svg+xml"
    assert 'fill="#6b1d5c"' in favicon.get_data(as_text=True)


def test_a_configured_favicon_is_served_as_its_type(tmp_path):
    icon = tmp_path / "kommun.png"
    icon.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    site = create_app(BRAND_FAVICON=str(icon))
    site.extensions["brand"] = Brand.from_config(site.config)
    client = site.test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'type="image/png"' in html
    answer = client.get(_asset(html, "favicon"))
    assert answer.mimetype == "image/png" and answer.data == icon.read_bytes()


def test_without_a_logo_the_logo_address_is_not_found_and_the_name_is_text(app, client):
    html = client.get("/").get_data(as_text=True)
    assert "brand-logo" not in html and '<span class="brand-name">Medborgardialog</span>' in html
    version = re.search(r"/brand/([0-9a-f]+)/brand.css", html).group(1)
    assert client.get(f"/brand/{version}/logo").status_code == 404


def test_a_new_colour_is_a_new_address(app):
    first = Brand("M", "", "#005a8c", "", "")
    second = Brand("M", "", "#004a7c", "", "")
    assert first.version != second.version


def test_brand_files_stay_cacheable_for_a_logged_in_person(app, client, make_user):
    from tests.support import log_in

    html = client.get("/").get_data(as_text=True)
    log_in(client, make_user().email)
    answer = client.get(_asset(html, "brand.css"))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"].startswith("public")

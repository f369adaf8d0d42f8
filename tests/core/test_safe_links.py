"""Redirects and links built from what a visitor sent can only lead to this site."""

from urllib.parse import unquote

import pytest

from tests.support import PASSWORD, post_form

UNSAFE_NEXT = [
    "/d/x\r\nSet-Cookie: stolen=1",  # a header of its own: a 500 before
    "/d/x\nLocation: https://evil.example",
    "/\t/evil.example",  # browsers drop the tab: //evil.example
    "/\x01evil",
    "/\x7fevil",
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "d/relative",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_login_with_an_unsafe_next_goes_to_the_front_page(client, resident, target):
    response = post_form(
        client,
        "/login",
        {"email": resident.email, "password": PASSWORD},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/d/stadskarna/proposals?q=park&page=2", "/profile", "/%0d"])
def test_login_with_a_path_on_this_site_goes_there(client, resident, target):
    response = post_form(
        client,
        "/login",
        {"email": resident.email, "password": PASSWORD},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_the_rule_is_one_function_accounts_use(app):
    from dialog.core.urls import is_same_site_path, safe_next

    with app.test_request_context():
        assert safe_next("/d/x\r\n") == "/"
        assert safe_next(None) == "/"
        assert safe_next(["/d/x"]) == "/"
        assert safe_next("/d/x") == "/d/x"
    assert is_same_site_path("/sök/å")
    assert not is_same_site_path("/\r")


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/%5Cevil.example/x", "/%5Cevil.example/x?lang=en"),
        ("//evil.example/x", "/evil.example/x?lang=en"),
        ("/%09/evil.example", "/%09/evil.example?lang=en"),
        ("/finns-inte/%22%3E%3Cb%3E", "/finns-inte/%22%3E%3Cb%3E?lang=en"),
    ],
)
def test_the_language_link_on_an_error_page_stays_on_this_site(client, path, expected):
    # As the server receives it: the test client would read //host as a host.
    response = client.get(path, environ_overrides={"PATH_INFO": unquote(path)})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert f'href="{expected}"' in page
    assert 'href="/\\' not in page and 'href="//' not in page


def test_the_language_link_keeps_the_path_and_the_query(client):
    page = client.get("/login?x=%C3%A5").get_data(as_text=True)
    assert 'href="/login?x=%C3%A5&amp;lang=en"' in page

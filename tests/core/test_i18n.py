from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_swedish_is_the_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="sv">' in page and "Logga in" in page


def test_lang_en_switches_to_english_for_the_session(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page
    later = client.get("/register").get_data(as_text=True)
    assert '<html lang="en">' in later and "Create account" in later
    back = client.get("/register?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in back


def test_accept_language_is_honoured_when_nothing_was_chosen(client):
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    chosen = client.get("/login?lang=sv", headers={"Accept-Language": "en"})
    assert '<html lang="sv">' in chosen.get_data(as_text=True)


def test_the_profile_language_is_used_after_login(client, make_user, login):
    user = make_user(locale="en")
    login(user)
    assert '<html lang="en">' in client.get("/profile").get_data(as_text=True)


def test_every_message_has_a_swedish_translation():
    with (ROOT / "translations/sv/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle)
    with (ROOT / "translations/messages.pot").open("rb") as handle:
        template = read_po(handle)
    missing = [
        m.id
        for m in template
        if m.id and not (catalog.get(m.id, m.context) and _translated(catalog.get(m.id, m.context)))
    ]
    assert missing == []
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert fuzzy == []


def _translated(message) -> bool:
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def test_the_message_template_is_up_to_date(tmp_path):
    """Every translatable string in code and templates is in messages.pot."""
    import subprocess
    import sys

    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--omit-header",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (ROOT / "translations/messages.pot").open("rb") as handle:
        present = {m.id for m in read_po(handle) if m.id}
    assert sorted(wanted - present) == []

from tests.support import PASSWORD, post_form


def test_login_and_logout(client, resident, login):
    response = login(resident)
    assert response.status_code == 302
    assert resident.display_name in client.get("/profile").get_data(as_text=True)
    post_form(client, "/logout", {}, form_path="/profile")
    assert client.get("/profile").status_code == 302


def test_wrong_password_and_unknown_address_get_the_same_answer(client, resident):
    wrong = post_form(client, "/login", {"email": resident.email, "password": "wrong password!!"})
    unknown = post_form(client, "/login", {"email": "nobody@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 200
    message = "E-postadressen eller lösenordet är fel."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_inactive_accounts_cannot_log_in(client, make_user):
    user = make_user(active=False)
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200


def test_login_redirects_only_within_the_site(client, resident):
    safe = post_form(
        client,
        "/login?next=/profile",
        {"email": resident.email, "password": PASSWORD},
        form_path="/login",
    )
    assert safe.location == "/profile"
    post_form(client, "/logout", {}, form_path="/profile")
    evil = post_form(
        client,
        "/login?next=//evil.example/x",
        {"email": resident.email, "password": PASSWORD},
        form_path="/login",
    )
    assert "evil" not in evil.location
    post_form(client, "/logout", {}, form_path="/profile")
    backslash = post_form(
        client,
        "/login?next=/%5Cevil.example",
        {"email": resident.email, "password": PASSWORD},
        form_path="/login",
    )
    assert "evil" not in backslash.location


def test_pages_that_need_login_send_anonymous_visitors_to_it(client):
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.location


def _attempt(client, email, password, ip="203.0.113.7"):
    return post_form(
        client,
        "/login",
        {"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_failed_logins_are_throttled_per_account_and_address(app, client, resident):
    for _ in range(5):
        assert _attempt(client, resident.email, "wrong password!!").status_code == 200
    blocked = _attempt(client, resident.email, PASSWORD)
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert "För många misslyckade försök" in page
    assert 'name="email"' in page and 'name="password"' in page  # the form, again
    assert "/password/forgot" in page
    other = _attempt(client, "other@example.org", "x" * 12)
    assert other.status_code == 200


def test_the_owner_from_another_address_is_not_locked_out(app, resident):
    attacker = app.test_client()
    for _ in range(5):
        _attempt(attacker, resident.email, "wrong password!!", ip="198.51.100.66")
    assert _attempt(attacker, resident.email, PASSWORD, ip="198.51.100.66").status_code == 429
    owner = app.test_client()
    assert _attempt(owner, resident.email, PASSWORD, ip="192.0.2.10").status_code == 302


def test_successful_logins_do_not_count(app, client, resident):
    for _ in range(8):
        assert _attempt(client, resident.email, PASSWORD).status_code == 302
        post_form(client, "/logout", {}, form_path="/profile")
    assert _attempt(client, resident.email, PASSWORD).status_code == 302


def test_guessing_from_many_addresses_is_slowed_not_unlimited(app, resident, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT", "6 per minute")
    for n in range(6):
        _attempt(app.test_client(), resident.email, "wrong password!!", ip=f"198.51.100.{n}")
    # Under attack, each address gets one try a minute: a second guess waits ...
    _attempt(app.test_client(), resident.email, "wrong password!!", ip="198.51.100.99")
    slowed = _attempt(app.test_client(), resident.email, "wrong again!!!!", ip="198.51.100.99")
    assert slowed.status_code == 429
    assert "Vänta en minut" in slowed.get_data(as_text=True)
    assert "/password/forgot" in slowed.get_data(as_text=True)
    # ... while the owner, from their own address with the right password, gets in.
    owner = _attempt(app.test_client(), resident.email, PASSWORD, ip="192.0.2.10")
    assert owner.status_code == 302


def test_login_is_throttled_per_ip(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_PER_IP", "3 per minute")
    statuses = [
        post_form(
            client, "/login", {"email": f"p{n}@example.org", "password": "x" * 12}
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]

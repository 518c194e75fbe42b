"""Sign-in limits: failed passwords count per (account, address) and per address, never per
account alone, so a stranger cannot lock a user out; every 429 says when to try again
(Retry-After, and on pages a sentence in the page's language)."""

import pytest

from tests.api.test_directory_operators import operator  # noqa: F401 — a fixture
from tests.api.test_merchant_portal import (
    OWNER,
    store,  # noqa: F401 — a fixture
)
from tests.api.test_merchant_portal import PASSWORD as SHOP_PASSWORD
from tests.api.test_portal import PASSWORD, csrf_of, enroll
from tests.api.test_sessions import _other_app
from tests.api.test_staff_pages import make_staff
from valliance.errors import RateLimited
from valliance.sign_in import PER_ACCOUNT_AND_ADDRESS, PER_ADDRESS

ACCOUNT_LIMIT = int(PER_ACCOUNT_AND_ADDRESS.split()[0])  # a minute's failures
ADDRESS_LIMIT = int(PER_ADDRESS.split()[0])
ACCOUNT_WINDOW = f"/{ACCOUNT_LIMIT}/1/minute"  #: how the limit ends its storage keys
STRANGER, OWNER_ADDRESS = "10.0.0.66", "10.9.9.9"


def _page_login(path: str, field: str):
    def attempt(client, account: str, password: str, address: str, lang: str = ""):
        environ = {"REMOTE_ADDR": address}
        query = f"?lang={lang}" if lang else ""
        html = client.get(path + query, environ_base=environ).get_data(as_text=True)
        return client.post(path + query, environ_base=environ,
                           data={field: account, "password": password,
                                 "csrf_token": csrf_of(html)})
    return attempt


def _api_login(client, account: str, password: str, address: str, lang: str = ""):
    return client.post("/api/v1/member/session", environ_base={"REMOTE_ADDR": address},
                       json={"phone": account, "password": password})


#: kind → (how to attempt a sign-in, what a success answers)
LOGINS = {
    "member portal": (_page_login("/me/login", "phone"), 302),
    "member API": (_api_login, 201),
    "merchant portal": (_page_login("/merchant/login", "phone"), 302),
    "staff": (_page_login("/staff/login", "username"), 302),
}


@pytest.fixture
def account(request, app):
    """(attempt, success status, account name, its password) for the kind under test."""
    kind = request.param
    attempt, success = LOGINS[kind]
    if kind.startswith("member"):
        enroll(app)
        return attempt, success, "13800138000", PASSWORD
    if kind == "merchant portal":
        request.getfixturevalue("store")
        return attempt, success, OWNER, SHOP_PASSWORD
    make_staff(app)
    return attempt, success, "reviewer", PASSWORD


@pytest.mark.parametrize("account", list(LOGINS), indirect=True)
def test_a_stranger_failing_from_one_address_never_locks_the_owner_out(app, account):
    attempt, success, name, password = account
    stranger, owner = app.test_client(), app.test_client()
    for _ in range(ACCOUNT_LIMIT):
        assert attempt(stranger, name, "wrong-pass1", STRANGER).status_code in (200, 401)
    limited = attempt(stranger, name, password, STRANGER)  # even the right password waits
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert attempt(owner, name, password, OWNER_ADDRESS).status_code == success


@pytest.mark.parametrize("account", list(LOGINS), indirect=True)
def test_one_address_guessing_many_accounts_is_slowed_down(app, account):
    attempt, _, name, password = account
    guesser = app.test_client()
    for n in range(ADDRESS_LIMIT):
        guess = f"1390000{n:04d}" if name.isdigit() else f"nobody{n}"
        assert attempt(guesser, guess, "wrong-pass1", STRANGER).status_code in (200, 401)
    assert attempt(guesser, name, password, STRANGER).status_code == 429
    assert attempt(app.test_client(), name, password, OWNER_ADDRESS).status_code != 429


@pytest.mark.parametrize("account", ["member portal"], indirect=True)
def test_successful_sign_ins_from_one_address_are_not_limited(app, account):
    attempt, success, name, password = account
    for _ in range(ADDRESS_LIMIT + 5):  # a shop or an office behind one address
        assert attempt(app.test_client(), name, password, STRANGER).status_code == success


def when_to_retry(seconds: int, lang: str) -> str:
    """The sentence a 429 page says for a Retry-After of `seconds`."""
    minutes = -(-seconds // 60)
    if lang == "en":
        return (f"Try again in {seconds} second{'s' * (seconds != 1)}." if seconds < 60
                else f"Try again in {minutes} minute{'s' * (minutes != 1)}.")
    return f"请 {seconds} 秒后再试。" if seconds < 60 else f"请 {minutes} 分钟后再试。"


@pytest.mark.parametrize("lang", ["", "en"])
@pytest.mark.parametrize("account", ["member portal", "merchant portal", "staff"],
                         indirect=True)
def test_a_limited_sign_in_page_says_when_to_try_again_in_its_language(app, account, lang):
    attempt, _, name, _ = account
    client = app.test_client()
    for _ in range(ACCOUNT_LIMIT):
        attempt(client, name, "wrong-pass1", STRANGER, lang)
    page = attempt(client, name, "wrong-pass1", STRANGER, lang)
    html = page.get_data(as_text=True)
    seconds = int(page.headers["Retry-After"])
    assert page.status_code == 429 and 1 <= seconds <= 60
    assert when_to_retry(seconds, lang) in html  # the page and the header say the same
    assert 'class="topbar"' in html  # the site's layout, not a bare page
    assert ("Try again" if not lang else "后再试") not in html  # one language: the page's


def test_a_limited_page_under_a_minute_counts_seconds(app):
    limited = _other_app(app)

    @limited.get("/_test/slow-down")
    def _slow_down():
        raise RateLimited(retry_after=42.2)

    client = limited.test_client()
    page = client.get("/_test/slow-down")
    assert page.status_code == 429 and page.headers["Retry-After"] == "43"
    assert when_to_retry(43, "") in page.get_data(as_text=True)
    english = client.get("/_test/slow-down?lang=en").get_data(as_text=True)
    assert "Try again in 43 seconds." in english


def test_the_api_429_is_the_contract_body_with_retry_after(client, app):
    enroll(app)
    for _ in range(ACCOUNT_LIMIT):
        _api_login(client, "13800138000", "wrong-pass1", STRANGER)
    response = _api_login(client, "13800138000", PASSWORD, STRANGER)
    assert response.status_code == 429
    assert response.get_json() == {"error": "rate_limited",
                                   "message": "请求过于频繁 / Too many requests", "details": {}}
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_directory_key_over_its_limit_gets_retry_after(client, operator):  # noqa: F811
    for _ in range(120):
        client.get("/api/v1/directory/callers/13911112222", headers=operator["headers"])
    response = client.get("/api/v1/directory/callers/13911112222", headers=operator["headers"])
    assert response.status_code == 429 and response.get_json()["error"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_merchant_applications_over_the_limit_get_a_page_with_retry_after(client):
    for _ in range(10):
        html = client.get("/merchant/apply").get_data(as_text=True)
        client.post("/merchant/apply", data={"csrf_token": csrf_of(html)})
    html = client.get("/merchant/apply").get_data(as_text=True)
    response = client.post("/merchant/apply", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    seconds, html = int(response.headers["Retry-After"]), response.get_data(as_text=True)
    assert when_to_retry(seconds, "") in html or when_to_retry(seconds + 1, "") in html


@pytest.mark.parametrize("kind", ["member API", "member portal"])
def test_in_the_last_second_of_a_limit_retry_after_is_still_one_whole_second(app, monkeypatch,
                                                                               kind):
    # Flask-Limiter rewrote our Retry-After after the handler, rounding down: 0 in the last
    # second of the window (a client told to retry at once is refused again)
    import time

    enroll(app)
    attempt = LOGINS[kind][0]
    client = app.test_client()
    for _ in range(ACCOUNT_LIMIT):
        attempt(client, "13800138000", "wrong-pass1", STRANGER)
    limited = attempt(client, "13800138000", "wrong-pass1", STRANGER)
    assert limited.status_code == 429
    from valliance.extensions import limiter

    ends = limiter.storage.expirations  # the test's memory storage: each window's end
    reset_at = min(end for key, end in ends.items() if key.endswith(ACCOUNT_WINDOW))
    # the window's last moment, within the whole second the limit ends in
    last_moment = reset_at - min(0.05, (reset_at % 1) / 2)
    monkeypatch.setattr(time, "time", lambda: last_moment)
    again = attempt(client, "13800138000", "wrong-pass1", STRANGER)
    assert again.status_code == 429 and again.headers.getlist("Retry-After") == ["1"]
    if kind == "member portal":
        assert when_to_retry(1, "") in again.get_data(as_text=True)


@pytest.mark.parametrize("hops", [0, 1])
def test_a_forged_x_forwarded_for_does_not_escape_the_address_limit(app, hops):
    # No trusted proxy: the header is ignored. One trusted proxy: only the address it
    # appended counts, whatever the client wrote before it
    limited = _other_app(app, TRUSTED_PROXY_HOPS=hops)
    with limited.app_context():
        from valliance.extensions import limiter

        limiter.reset()
    client = limited.test_client()

    def attempt(n: int):
        forged = f"10.1.{n // 250}.{n % 250}"
        header = forged if hops == 0 else f"{forged}, {STRANGER}"
        return client.post("/api/v1/member/session", json={
            "phone": f"1380013{n:04d}", "password": "wrong-pass1"},
            environ_base={"REMOTE_ADDR": STRANGER if hops == 0 else "10.200.0.1"},
            headers={"X-Forwarded-For": header})

    answers = [attempt(n).status_code for n in range(ADDRESS_LIMIT + 1)]
    with limited.app_context():
        from valliance.extensions import db

        db.engine.dispose()  # its connections would outlive this test's database file
    assert answers[:ADDRESS_LIMIT] == [401] * ADDRESS_LIMIT and answers[-1] == 429


def test_the_member_portal_and_app_sign_ins_share_one_count(app):
    # Both check a member's password: guessing through both from one address gets no more
    # tries than through one
    enroll(app)
    page, _ = LOGINS["member portal"]
    client = app.test_client()
    half = ACCOUNT_LIMIT // 2
    for _ in range(half):
        assert page(client, "13800138000", "wrong-pass1", STRANGER).status_code == 200
    for _ in range(ACCOUNT_LIMIT - half):
        assert _api_login(client, "13800138000", "wrong-pass1", STRANGER).status_code == 401
    assert _api_login(client, "13800138000", PASSWORD, STRANGER).status_code == 429
    assert page(client, "13800138000", PASSWORD, STRANGER).status_code == 429

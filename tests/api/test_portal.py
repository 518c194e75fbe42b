"""The member portal through the test client, with CSRF on (as in production)."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.api.pay_code_images import decode_code128_svg, decode_qr_svg, svg_of
from tests.sms import record_sms
from valliance.extensions import db
from valliance.members import services
from valliance.members.models import AnnualSpend, Card, Member, OneTimeCode
from valliance.members.views.chart import balance_svg
from valliance.messaging import OutboxMessage
from valliance.points import accounts, ledger
from valliance.secret_box import unseal

PASSWORD = "secret123"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                  r'|name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict, *, page: str | None = None):
    """GET the form page (for its CSRF token) and POST data to url."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_of(html)})


def enroll(app, phone="13800138000", name="张三", password=PASSWORD, **kwargs):
    with app.app_context():
        member = services.enroll_member(db.session, phone=phone, name=name, password=password,
                                        **kwargs)
        db.session.commit()
        return {"id": member.id, "account": member.points_account_id,
                "card": member.card.number, "phone": phone, "name": name}


def log_in(client, phone="13800138000", password=PASSWORD):
    return post_form(client, "/me/login", {"phone": phone, "password": password})


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    """The SMS the app sends in each test, recorded instead of sent."""
    return record_sms(app, monkeypatch)


def latest_code(app, phone: str) -> str:
    return app.extensions["sms_sender"].code_for(phone)


def adjust(app, account: int, points: int, times: int = 1):
    with app.app_context():
        for _ in range(times):
            ledger.adjust(db.session, member_account=account, points=points, reason="goodwill",
                          actor="test")
        db.session.commit()


# --- sign-up, claim, sign-in -------------------------------------------------------------


def test_signup_texts_a_code_then_enrolls_signs_in_and_shows_the_card(app, client):
    response = post_form(client, "/me/signup",
                         {"phone": "138 0013 8000", "name": "李四", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/signup/verify")
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message.recipient == "13800138000"
        assert message.sent_at is not None  # delivered after the commit
        assert db.session.scalar(select(Member)) is None  # nothing enrolled before the code
    code = latest_code(app, "13800138000")

    response = post_form(client, "/me/signup/verify", {"code": code})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/")
    page = client.get("/me/").get_data(as_text=True)
    assert "李四" in page and "普通卡" in page
    with app.app_context():
        member = db.session.scalar(select(Member))
        assert member.claimed_at is not None and member.card.status == "active"
        assert services.authenticate(db.session, "13800138000", PASSWORD).id == member.id


def test_signup_never_keeps_the_password_as_text_in_the_session_cookie(client):
    post_form(client, "/me/signup", {"phone": "13800138000", "name": "李四",
                                     "password": PASSWORD})
    with client.session_transaction() as session:
        assert PASSWORD not in str(dict(session))


def test_signup_with_a_wrong_code_shows_the_error_and_enrolls_nobody(app, client):
    post_form(client, "/me/signup", {"phone": "13800138000", "name": "李四",
                                     "password": PASSWORD})
    code = latest_code(app, "13800138000")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = post_form(client, "/me/signup/verify", {"code": wrong})
    assert response.status_code == 200
    assert "验证码错误或已过期" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Member)) is None


def test_wrong_codes_on_the_page_stay_counted_and_five_use_the_code_up(app, client):
    post_form(client, "/me/signup", {"phone": "13800138000", "name": "李四",
                                     "password": PASSWORD})
    code = latest_code(app, "13800138000")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for guess in range(1, 6):
        html = post_form(client, "/me/signup/verify", {"code": wrong}).get_data(as_text=True)
        assert "验证码错误或已过期" in html
        with app.app_context():  # the page's error did not roll the counted guess back
            assert db.session.scalar(select(OneTimeCode.attempts)) == guess
    html = post_form(client, "/me/signup/verify", {"code": code}).get_data(as_text=True)
    assert "验证码错误或已过期" in html
    with app.app_context():
        assert db.session.scalar(select(Member)) is None


def test_signup_shows_service_errors_on_the_form(app, client):
    response = post_form(client, "/me/signup", {"phone": "12345", "name": "李四",
                                                "password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请输入11位手机号码" in html
    html = post_form(client, "/me/signup", {"phone": "13900139000", "name": "李四",
                                            "password": "abcdefgh"}).get_data(as_text=True)
    assert "密码至少8位" in html


def test_imported_member_claims_the_account_with_a_code(app, client):
    enroll(app, password=None)  # imported from the operator's VIP list: no password yet
    response = post_form(client, "/me/claim", {"phone": "13800138000"})
    assert response.headers["Location"].endswith("/me/claim/verify")
    code = latest_code(app, "13800138000")
    response = post_form(client, "/me/claim/verify",
                         {"code": code, "password": "newpass99", "confirm": "newpass99"})
    assert response.status_code == 302
    assert "张三" in client.get("/me/").get_data(as_text=True)
    client.post("/me/logout", data={"csrf_token": csrf_of(client.get("/me/").get_data(True))})
    assert log_in(client, password="newpass99").headers["Location"].endswith("/me/")


def test_login_and_logout(app, client):
    enroll(app)
    response = log_in(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me/")
    assert client.get("/me/").status_code == 200
    token = csrf_of(client.get("/me/").get_data(as_text=True))
    response = client.post("/me/logout", data={"csrf_token": token})
    assert response.headers["Location"].endswith("/me/login")
    assert client.get("/me/").status_code == 302


def test_logout_without_the_csrf_token_is_refused(app, client):
    enroll(app)
    log_in(client)
    response = client.post("/me/logout")
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert client.get("/me/").status_code == 200  # still signed in


def test_wrong_password_is_refused_with_one_message(app, client):
    enroll(app)
    response = log_in(client, password="wrongpass1")
    assert response.status_code == 200
    assert "手机号或密码错误" in response.get_data(as_text=True)
    assert client.get("/me/").status_code == 302


def test_login_is_rate_limited_after_ten_posts_a_minute(app, client):
    enroll(app)
    for _ in range(10):
        assert log_in(client, password="wrongpass1").status_code == 200
    response = log_in(client, password=PASSWORD)
    assert response.status_code == 429
    assert "后再试" in response.get_data(as_text=True)


def test_login_follows_only_a_local_next(app, client):
    enroll(app)
    html = client.get("/me/login").get_data(as_text=True)
    response = client.post("/me/login?next=https://evil.example/",
                           data={"phone": "13800138000", "password": PASSWORD,
                                 "csrf_token": csrf_of(html)})
    assert response.headers["Location"].endswith("/me/")


@pytest.mark.parametrize("path", ["/me/", "/me/history", "/me/profile", "/me/offers",
                                  "/me/card/print", "/me/card/lost", "/me/card.svg"])
def test_pages_require_a_signed_in_member(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/me/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]


# --- the card ----------------------------------------------------------------------------


def test_card_page_shows_the_pay_code_as_qr_and_barcode_with_the_card_digits_masked(app, client):
    member = enroll(app)
    adjust(app, member["account"], 1234)
    log_in(client)
    html = client.get("/me/").get_data(as_text=True)
    qr_url = re.search(r'id="pay-code-qr" src="([^"]+)"', html).group(1)
    barcode_url = re.search(r'id="pay-code-barcode" src="([^"]+)"', html).group(1)
    [code] = decode_qr_svg(svg_of(qr_url))
    assert re.fullmatch(r"\d{22}", code) and code.startswith(member["card"])
    assert decode_code128_svg(svg_of(barcode_url)) == [code]
    text = re.search(r'id="pay-code-text"[^>]*>([^<]+)<', html).group(1)
    assert text == f"•••• {member['card'][12:]} · {code[16:19]} {code[19:]}"
    assert member["card"] not in html and member["card"][:12] not in html
    assert 'src="/me/card.svg"' in html
    assert "1,234" in html
    assert "<script" in html and "portal.js" in html
    assert 'style="' not in html and "<script>" not in html  # the CSP allows neither
    qr = client.get("/me/card.svg")
    assert qr.status_code == 200 and qr.content_type.startswith("image/svg+xml")
    assert b"<svg" in qr.data


def test_pay_code_json_is_fresh_and_never_cached(app, client):
    member = enroll(app)
    log_in(client)
    response = client.get("/me/pay-code.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"code", "expires_in", "version", "text", "qr", "barcode"}
    assert re.fullmatch(r"\d{22}", body["code"]) and body["code"].startswith(member["card"])
    assert 1 <= body["expires_in"] <= 30
    assert decode_qr_svg(svg_of(body["qr"])) == [body["code"]]
    assert decode_code128_svg(svg_of(body["barcode"])) == [body["code"]]
    assert body["code"][16:] not in body["version"]


def test_pay_code_json_answers_204_while_the_code_is_the_one_the_page_shows(app, client):
    enroll(app)
    log_in(client)
    version = client.get("/me/pay-code.json").get_json()["version"]
    unchanged = client.get(f"/me/pay-code.json?seen={version}")
    if unchanged.status_code == 200:  # the 30 s step ended between the two requests
        version = unchanged.get_json()["version"]
        unchanged = client.get(f"/me/pay-code.json?seen={version}")
    assert unchanged.status_code == 204 and unchanged.data == b""
    assert unchanged.headers["Cache-Control"] == "no-store"
    assert client.get("/me/pay-code.json?seen=0.0").status_code == 200


def test_pay_code_json_without_a_session_is_401_json(client):
    response = client.get("/me/pay-code.json")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["Cache-Control"] == "no-store"


def test_tier_progress_uses_this_years_spend(app, client):
    member = enroll(app, tier="silver")
    year = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai")).year
    with app.app_context():
        db.session.add(AnnualSpend(member_id=member["id"], year=year, telecom_fen=400000,
                                   alliance_fen=76000))
        db.session.commit()
    log_in(client)
    html = client.get("/me/").get_data(as_text=True)
    assert "还差 ¥1,240.00 升级金卡" in html
    assert '<progress max="100" value="79"' in html


def test_frozen_membership_is_announced(app, client):
    member = enroll(app)
    with app.app_context():
        services.set_membership(db.session, db.session.get(Member, member["id"]), "frozen")
        db.session.commit()
    log_in(client)
    assert "会员资格已冻结" in client.get("/me/").get_data(as_text=True)


def test_report_lost_asks_first_then_stops_the_card_at_once(app, client):
    member = enroll(app)
    log_in(client)
    confirm = client.get("/me/card/lost")
    assert confirm.status_code == 200 and "确认挂失" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Card.status)) == "active"  # a GET changes nothing
    response = client.post("/me/card/lost",
                           data={"csrf_token": csrf_of(confirm.get_data(as_text=True))})
    assert response.status_code == 302
    with app.app_context():
        card = db.session.scalar(select(Card).where(Card.number == member["card"]))
        assert card.status == "lost"
    html = client.get("/me/").get_data(as_text=True)
    assert "已挂失" in html and 'id="pay-code"' not in html
    assert client.get("/me/pay-code.json").status_code == 422


def test_print_page_is_cr80_sized(app, client):
    enroll(app)
    log_in(client)
    html = client.get("/me/card/print").get_data(as_text=True)
    assert 'class="cr80' in html and "普通卡" in html and "张三" in html
    css = client.get("/static/css/portal.css").get_data(as_text=True)
    assert "size: 85.6mm 54mm" in css and "@media print" in css


# --- history -----------------------------------------------------------------------------


def test_history_pages_twenty_at_a_time_with_an_older_link(app, client):
    member = enroll(app)
    adjust(app, member["account"], 10, times=25)
    log_in(client)
    html = client.get("/me/history").get_data(as_text=True)
    assert html.count('class="ledger-entry"') == 20
    assert "+10" in html and 'class="points pos"' in html
    older = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = client.get(older).get_data(as_text=True)
    assert html.count('class="ledger-entry"') == 5
    assert 'rel="next"' not in html
    assert "<svg" in html and "balance-chart" in html


def test_history_filters_by_kind_and_shows_signed_points(app, client):
    member = enroll(app)
    adjust(app, member["account"], 500)
    with app.app_context():
        merchant = accounts.open_merchant_accounts(db.session, "mer_test")
        ledger.redeem(db.session, member_account=member["account"],
                      merchant_account=merchant.redeemed, points=120)
        db.session.commit()
    log_in(client)
    html = client.get("/me/history?kind=redeem").get_data(as_text=True)
    assert html.count('class="ledger-entry"') == 1
    assert "积分抵扣" in html and "-120" in html and 'class="points neg"' in html
    html = client.get("/me/history?kind=expire").get_data(as_text=True)
    assert html.count('class="ledger-entry"') == 0 and "没有符合条件的记录" in html
    assert client.get("/me/history?kind=nonsense").status_code == 200


def test_history_empty_state(app, client):
    enroll(app)
    log_in(client)
    html = client.get("/me/history").get_data(as_text=True)
    assert "暂无积分记录" in html and "暂无记录" in html


def test_history_times_are_shown_in_shanghai(app, client):
    member = enroll(app)
    with app.app_context():
        ledger.adjust(db.session, member_account=member["account"], points=5,
                      reason="goodwill", actor="test", now=datetime(2026, 1, 1, 17, 30, tzinfo=UTC))
        db.session.commit()
    log_in(client)
    assert "2026-01-02 01:30" in client.get("/me/history").get_data(as_text=True)


# --- profile, offers, privacy, language ----------------------------------------------------


def test_password_change_works_and_the_old_password_stops(app, client):
    enroll(app)
    log_in(client)
    response = post_form(client, "/me/profile", {"current_password": "wrongpass1",
                                                 "password": "brandnew42", "confirm": "brandnew42"})
    assert "当前密码不正确" in response.get_data(as_text=True)
    response = post_form(client, "/me/profile", {"current_password": PASSWORD,
                                                 "password": "brandnew42", "confirm": "other4242"})
    assert "两次输入的密码不一致" in response.get_data(as_text=True)
    response = post_form(client, "/me/profile", {"current_password": PASSWORD,
                                                 "password": "brandnew42", "confirm": "brandnew42"})
    assert response.status_code == 302
    client.post("/me/logout", data={"csrf_token": csrf_of(client.get("/me/").get_data(True))})
    assert log_in(client).status_code == 200  # the old password no longer works
    assert log_in(client, password="brandnew42").status_code == 302
    assert client.get("/me/login").headers["Location"].endswith("/me/")  # already signed in


def test_profile_masks_the_phone(app, client):
    enroll(app)
    log_in(client)
    html = client.get("/me/profile").get_data(as_text=True)
    assert "138****8000" in html and "13800138000" not in html


def test_offers_page_is_an_honest_empty_state(app, client):
    enroll(app)
    log_in(client)
    html = client.get("/me/offers").get_data(as_text=True)
    assert "联盟商户的折扣和积分优惠将显示在这里" in html


def test_a_member_only_ever_sees_their_own_data(app, client):
    alice = enroll(app, phone="13800138000", name="爱丽丝")
    bob = enroll(app, phone="13900139000", name="鲍勃")
    adjust(app, alice["account"], 111)
    adjust(app, bob["account"], 999)
    log_in(client, phone=alice["phone"])
    pages = "".join(client.get(path).get_data(as_text=True)
                    for path in ("/me/", "/me/history", "/me/profile", "/me/card/print"))
    assert "爱丽丝" in pages and "鲍勃" not in pages
    # Compare rendered values, not bare digits: card numbers, pay codes and ids are random
    # and may contain any short run of digits.
    balance = re.search(r'id="balance">([\d,]+)<', client.get("/me/").get_data(as_text=True))
    assert balance.group(1) == "111"
    assert "+111" in pages and "+999" not in pages
    assert bob["card"] not in pages and f"•••• {bob['card'][-4:]}" not in pages
    assert client.get("/me/pay-code.json").get_json()["code"].startswith(alice["card"])
    assert client.get("/me/history?before=999999").get_data(as_text=True).count("+999") == 0


def test_english_switch(app, client):
    enroll(app)
    html = client.get("/me/login?lang=en").get_data(as_text=True)
    assert "Member log in" in html and 'lang="en"' in html
    response = log_in(client, password="wrongpass1")
    assert "Wrong phone or password" in response.get_data(as_text=True)
    log_in(client)
    html = client.get("/me/").get_data(as_text=True)  # remembered in a cookie
    assert "Pay code" in html and "Standard" in html
    html = client.get("/me/history").get_data(as_text=True)
    assert "Points history" in html and "Redeemed" in html and "积分抵扣" not in html


# --- the chart (a pure function) -------------------------------------------------------------


def test_chart_handles_no_point_one_point_and_many():
    empty = balance_svg([], empty_text="暂无记录")
    assert empty.startswith("<svg") and "暂无记录" in empty and "<path" not in empty
    when = datetime(2026, 11, 1, tzinfo=UTC)
    one = balance_svg([(when, 50)])
    assert "<path" in one and "<circle" in one and "nan" not in one.lower()
    many = balance_svg([(when + timedelta(days=i), i * 10) for i in range(5)])
    assert many.count("H") >= 4 and "40" in many
    same_time = balance_svg([(when, 1), (when, 2)])
    assert "nan" not in same_time.lower() and "inf" not in same_time.lower()
    assert "&lt;b&gt;" in balance_svg([], title="<b>")


def test_pay_code_json_moves_to_a_new_valid_code_every_30_seconds(app, client, monkeypatch):
    from valliance.members import codes as cards
    from valliance.members.services import pay_codes

    member = enroll(app)
    log_in(client)
    with app.app_context():
        secret = unseal(db.session.scalar(select(Card.pay_secret)))
    clock = {"now": 1_800_000_010.0}  # 10 s into a 30 s step
    monkeypatch.setattr(pay_codes, "time", SimpleNamespace(time=lambda: clock["now"]))
    first = client.get("/me/pay-code.json").get_json()
    assert first["expires_in"] == 20
    clock["now"] += 5
    again = client.get(f"/me/pay-code.json?seen={first['version']}")
    assert again.status_code == 204  # same step, same code
    clock["now"] += 30
    second = client.get(f"/me/pay-code.json?seen={first['version']}").get_json()
    assert second["code"] != first["code"] and second["code"][:16] == member["card"]
    assert cards.pay_code_valid(second["code"][16:], secret, at=clock["now"])
    assert cards.pay_code_valid(first["code"][16:], secret, at=clock["now"])  # within 90 s


def test_the_card_qr_downloads_as_png_and_svg(app, client):
    import io

    import zxingcpp
    from PIL import Image

    number = enroll(app)["card"]
    log_in(client)
    png = client.get("/me/card.png?download=1")
    assert png.status_code == 200 and png.content_type == "image/png"
    assert "attachment" in png.headers["Content-Disposition"]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [result.text for result in decoded] == [number]
    svg = client.get("/me/card.svg?download=1")
    assert svg.content_type.startswith("image/svg+xml") and b"<svg" in svg.data


@pytest.mark.parametrize("query", ["next=/%09/evil.com", "next=//evil.com", "next=/%5Cevil.com",
                                   "next=https://evil.com", "next=/%0A/evil.com"])
def test_sign_in_never_redirects_off_site(app, client, query):
    enroll(app)
    page = client.get("/me/login?" + query)
    response = client.post("/me/login?" + query,
                           data={"phone": "13800138000", "password": PASSWORD,
                                 "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/me/", "http://localhost/me/")


def test_a_password_change_signs_out_other_portal_sessions(app, client):
    member = enroll(app)
    log_in(client)
    assert client.get("/me/profile").status_code == 200
    with app.app_context():
        row = db.session.get(Member, member["id"])
        services.change_password(db.session, row, PASSWORD, "another-pass9")
        db.session.commit()
    assert client.get("/me/profile").status_code == 302


def test_failures_for_a_phone_from_other_addresses_never_lock_its_owner_out(app, client):
    enroll(app)
    for attempt in range(10):
        page = client.get("/me/login", environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"})
        client.post("/me/login", environ_base={"REMOTE_ADDR": f"10.0.0.{attempt}"},
                    data={"phone": "13800138000", "password": "wrong-pass1",
                          "csrf_token": csrf_of(page.get_data(as_text=True))})
    page = client.get("/me/login", environ_base={"REMOTE_ADDR": "10.0.1.1"})
    response = client.post("/me/login", environ_base={"REMOTE_ADDR": "10.0.1.1"},
                           data={"phone": "13800138000", "password": PASSWORD,
                                 "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert response.status_code == 302

"""A card reported lost: shown honestly, and replaced by the member with an SMS code."""

import pytest
from sqlalchemy import select

from tests.api.test_portal import adjust, csrf_of, enroll, log_in, post_form
from tests.sms import record_sms
from valliance.errors import CardInactive
from valliance.extensions import db
from valliance.members import services
from valliance.members.models import Card, Member, OneTimeCode
from valliance.points import accounts


@pytest.fixture
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def _report_lost(client):
    return post_form(client, "/me/card/lost", {})


def _lost_member(app, client):
    member = enroll(app)
    adjust(app, member["account"], 750)
    log_in(client)
    assert _report_lost(client).status_code == 302
    return member


def test_a_lost_card_page_shows_no_code_and_says_what_to_do(app, client, sms):
    member = _lost_member(app, client)
    html = client.get("/me/").get_data(as_text=True)
    assert 'class="qr"' not in html and "card.svg" not in html and 'id="pay-code"' not in html
    assert "出示此码可享折扣" not in html
    assert "此卡已挂失" in html and member["card"][-4:] in html
    assert 'href="/me/card/reissue"' in html and "补办新卡" in html
    assert 'href="tel:10000"' in html  # the operator's service line, by default
    assert "打印实体卡" not in html
    assert client.get("/me/card.svg").status_code == 302  # the lost card's QR is not served
    assert 'class="cr80' not in client.get("/me/card/print").get_data(as_text=True)


def test_the_service_line_is_a_setting(app, client, sms, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_PHONE", "95555")
    _lost_member(app, client)
    assert 'href="tel:95555"' in client.get("/me/").get_data(as_text=True)


def test_the_lost_card_page_in_english_promises_only_what_exists(app, client, sms):
    _lost_member(app, client)
    html = client.get("/me/?lang=en").get_data(as_text=True)
    assert "This card is reported lost" in html and "Get a new card" in html
    assert "move to your new card" not in client.get("/me/card/lost?lang=en").get_data(True)


def test_a_member_replaces_a_lost_card_with_an_sms_code(app, client, sms):
    member = _lost_member(app, client)
    page = client.get("/me/card/reissue").get_data(as_text=True)
    assert "138****8000" in page
    response = client.post("/me/card/reissue", data={"csrf_token": csrf_of(page)})
    assert response.headers["Location"].endswith("/me/card/reissue/confirm")
    code = sms.code_for("13800138000")
    response = post_form(client, "/me/card/reissue/confirm", {"code": code})
    assert response.headers["Location"].endswith("/me/")

    with app.app_context():
        old = db.session.scalar(select(Card).where(Card.number == member["card"]))
        new = db.session.get(Member, member["id"]).card
        assert old.status == "replaced" and old.replaced_by_id == new.id
        assert new.status == "active" and new.number != old.number
        assert accounts.get_balance(db.session, member["account"]).balance == 750
        with pytest.raises(CardInactive):
            services.require_usable(old)
    html = client.get("/me/").get_data(as_text=True)
    assert new.last4 in html and 'class="qr"' in html and 'id="pay-code"' in html
    assert "此卡已挂失" not in html and "750" in html
    assert new.last4 in sms.to("13800138000")[-1] and "已补办" in sms.to("13800138000")[-1]


def test_a_wrong_code_replaces_nothing(app, client, sms):
    member = _lost_member(app, client)
    post_form(client, "/me/card/reissue", {})
    code = sms.code_for("13800138000")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    html = post_form(client, "/me/card/reissue/confirm", {"code": wrong}).get_data(True)
    assert "验证码错误或已过期" in html
    with app.app_context():
        assert db.session.scalar(select(Card.status).where(Card.number == member["card"])) \
            == "lost"
        assert db.session.query(Card).count() == 1
        # the guess stays counted though the page showed an error
        assert db.session.scalar(select(OneTimeCode.attempts)) == 1


def test_only_a_lost_card_can_be_replaced_from_the_portal(app, client, sms):
    enroll(app)
    log_in(client)
    assert client.get("/me/card/reissue").headers["Location"].endswith("/me/")
    assert client.get("/me/card/reissue/confirm").headers["Location"].endswith("/me/")
    assert sms.sent == []

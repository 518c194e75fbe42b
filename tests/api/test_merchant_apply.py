"""Merchants apply to join the alliance on the web (CSRF on, as in production)."""

import re

import pytest
from sqlalchemy import func, select

from valliance.audit import AuditEvent
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.merchants.models import Merchant, MerchantUser
from valliance.merchants.services import application_checks, onboarding
from valliance.merchants.services.merchant_users import authenticate_merchant_user
from valliance.merchants.services.onboarding import create_merchant

PASSWORD = "secret123"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                  r'|name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    """GET the form page (for its CSRF token) and POST data to url."""
    html = client.get(page or url, **kwargs).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_of(html)}, **kwargs)


def licence(n: int, prefix: str = "91330302MA") -> str:
    """A valid unified social credit code (its check character computed)."""
    body = f"{prefix}{n:0{17 - len(prefix)}d}"
    return body + application_checks.licence_check_char(body)


def application(**overrides) -> dict:
    fields = {"name": "老李面馆", "category": "餐饮", "district": "鹿城区",
              "address": "解放街18号", "phone": "0577-88001234", "avg_spend": "35.5",
              "licence_no": licence(1), "owner_name": "李明", "owner_phone": "13911112222",
              "password": PASSWORD, "confirm": PASSWORD, "agree": "y"}
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}


def apply_on_web(client, **overrides):
    return post_form(client, "/merchant/apply", application(**overrides))


def errors_of(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [m.strip() for m in re.findall(r'class="field-error"[^>]*>(.*?)</p>', html, re.S)
            + re.findall(r'class="alert alert-error"[^>]*>\s*(.*?)</div>', html, re.S)]


def merchant_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Merchant))
        db.session.remove()
    return count


def apply_in_db(app, n: int = 1, *, status: str = "pending", **overrides) -> dict:
    """An application made through the service, optionally moved to a status."""
    fields = application(**{"licence_no": licence(n), "owner_phone": f"139{n:08d}",
                            "name": f"申请商户{n:03d}", **overrides})
    fields.pop("confirm")
    fields.pop("agree")
    with app.app_context():
        merchant = onboarding.apply_for_membership(db.session, **fields)
        merchant.status = status
        db.session.commit()
        result = {"id": merchant.id, "phone": fields["owner_phone"], "name": merchant.name,
                  "licence": merchant.licence_no}
        db.session.remove()
    return result


# --- the happy path ------------------------------------------------------------------------


def test_application_creates_a_pending_merchant_with_its_owner_who_cannot_sign_in_yet(app,
                                                                                      client):
    response = apply_on_web(client, licence_no=licence(7).lower(), avg_spend="85.5")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/merchant/apply/submitted")
    page = client.get("/merchant/apply/submitted").get_data(as_text=True)
    assert "申请已提交，审核结果将以短信通知" in page
    assert "139****2222" in page and "无法登录商户后台" in page and "老李面馆" in page
    assert 'href="/merchant/login"' in page
    with app.app_context():
        merchant = db.session.scalar(select(Merchant))
        assert merchant.status == "pending" and merchant.approved_at is None
        assert merchant.avg_spend == 8550
        assert merchant.licence_no == licence(7)  # stored in capitals
        assert (merchant.category, merchant.district, merchant.phone) == (
            "餐饮", "鹿城区", "0577-88001234")
        owner = db.session.scalar(select(MerchantUser))
        assert (owner.merchant_id, owner.role, owner.phone, owner.name) == (
            merchant.id, "owner", "13911112222", "李明")
        assert PASSWORD not in owner.password_hash
        assert authenticate_merchant_user(db.session, "13911112222", PASSWORD) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "merchant.apply"))
        assert event.merchant_id == merchant.id and event.actor == f"merchant_user:{owner.id}"


def test_confirmation_page_without_an_application_goes_back_to_the_form(client):
    response = client.get("/merchant/apply/submitted")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/merchant/apply")


def test_the_form_speaks_english_too(client):
    html = client.get("/merchant/apply?lang=en").get_data(as_text=True)
    assert "Become a V-card partner" in html and "Restaurants · 餐饮" in html


def test_the_confirmation_in_english_uses_english_punctuation(client):
    client.get("/?lang=en")
    apply_on_web(client)
    page = client.get("/merchant/apply/submitted").get_data(as_text=True)
    assert "Shop: <strong>老李面馆</strong>" in page
    assert "Shop：" not in page


def test_home_page_links_to_the_application(client):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/merchant/apply"' in html and "商户加盟" in html
    assert "Become a partner" in client.get("/?lang=en").get_data(as_text=True)


# --- yuan → fen, exactly ----------------------------------------------------------------


@pytest.mark.parametrize(("typed", "fen"), [
    ("85.5", 8550), ("85.50", 8550), ("85", 8500), ("0.01", 1), ("0.29", 29), ("1.13", 113),
    ("19.99", 1999), ("¥120", 12000), ("120元", 12000), (" 66.6 ", 6660),
    ("８５．５", 8550),  # typed with a Chinese IME (full-width)
    ("100000", 10_000_000), ("100000.00", 10_000_000),
])
def test_typical_spend_in_yuan_becomes_exact_fen(typed, fen):
    assert application_checks.parse_yuan(typed) == fen


@pytest.mark.parametrize(("typed", "message"), [
    ("-5", "负数"), ("-0.5", "负数"), ("85.555", "两位小数"), ("0.001", "两位小数"),
    ("abc", "两位小数"), ("", "两位小数"), ("1e3", "两位小数"), ("NaN", "两位小数"),
    ("Infinity", "两位小数"), ("85.", "两位小数"), ("1,200", "两位小数"),
    ("0", "大于0"), ("0.00", "大于0"), ("100000.01", "金额过大"), ("99999999", "金额过大"),
])
def test_typical_spend_rejects_negatives_fractions_of_a_fen_and_absurd_values(typed, message):
    with pytest.raises(ValidationError) as caught:
        application_checks.parse_yuan(typed)
    assert message in caught.value.details["avg_spend"][0]


# --- every field --------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "必填"),
    ("name", "   ", "必填"),
    ("category", "", "必填"),
    ("category", "夜总会", "请选择行业"),
    ("district", "", "必填"),
    ("address", "", "必填"),
    ("phone", "", "必填"),
    ("phone", "call me", "店铺电话"),
    ("phone", "12-34", "店铺电话"),
    ("avg_spend", "", "必填"),
    ("avg_spend", "-20", "负数"),
    ("avg_spend", "35.555", "两位小数"),
    ("avg_spend", "5000000", "金额过大"),
    ("licence_no", "", "必填"),
    ("licence_no", "91330302MA12345", "18位"),
    ("licence_no", "91330302MA1234567890", "18位"),
    ("licence_no", "91330302MA000001!X", "18位"),
    ("licence_no", "91330302IO00000100", "18位"),  # I and O are not in the code's alphabet
    ("owner_name", "", "必填"),
    ("owner_phone", "", "必填"),
    ("owner_phone", "12345", "11位手机号"),
    ("password", "", "必填"),
    ("confirm", "", "必填"),
    ("confirm", "secret124", "不一致"),
    ("agree", None, "加盟协议"),
])
def test_each_field_is_checked_and_nothing_is_created(app, client, field, value, message):
    overrides = {field: value}
    response = apply_on_web(client, **overrides)
    assert response.status_code == 200
    assert any(message in error for error in errors_of(response)), errors_of(response)
    assert merchant_count(app) == 0


def test_licence_needs_its_check_character_to_match(app, client):
    good = licence(42)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    response = apply_on_web(client, licence_no=wrong)
    assert any("校验位" in error for error in errors_of(response))
    assert merchant_count(app) == 0


def test_known_real_licence_numbers_pass_the_check():
    for code in ("91350100M000100Y43", "91110000600037341L", "91440300708461136T"):
        assert application_checks.normalize_licence(code) == code


def test_a_weak_password_is_refused_by_the_service(app, client):
    response = apply_on_web(client, password="abcdefgh", confirm="abcdefgh")
    assert any("密码至少8位" in error for error in errors_of(response))
    assert merchant_count(app) == 0


def test_every_mistake_is_shown_at_once(app, client):
    response = apply_on_web(client, phone="x", avg_spend="-1", licence_no="123",
                            owner_phone="1", category="夜总会")
    errors = " ".join(errors_of(response))
    for message in ("店铺电话", "负数", "18位", "11位手机号", "请选择行业"):
        assert message in errors
    assert merchant_count(app) == 0


@pytest.mark.parametrize(("status", "refused"), [
    ("pending", True), ("approved", True), ("suspended", True), ("rejected", False),
])
def test_a_licence_in_use_by_a_waiting_or_member_merchant_is_refused(app, client, status,
                                                                     refused):
    apply_in_db(app, 5, status=status)
    response = apply_on_web(client, licence_no=licence(5), owner_phone="13722223333")
    if refused:
        assert any("已提交过申请或已加盟" in error for error in errors_of(response))
        assert merchant_count(app) == 1
    else:
        assert response.status_code == 302
        assert merchant_count(app) == 2


def test_a_licence_typed_in_lower_case_is_still_a_duplicate(app, client):
    apply_in_db(app, 5)
    response = apply_on_web(client, licence_no=licence(5).lower(), owner_phone="13722223333")
    assert any("已提交过申请或已加盟" in error for error in errors_of(response))


def test_an_owner_phone_that_already_signs_in_for_a_merchant_is_refused(app, client):
    apply_in_db(app, 3)
    response = apply_on_web(client, owner_phone=f"139{3:08d}")
    assert any("该手机号已有商户账号" in error for error in errors_of(response))
    assert merchant_count(app) == 1


def test_merchants_created_by_staff_without_a_licence_never_block_an_application(app, client):
    with app.app_context():
        create_merchant(db.session, name="导入商户", category="零售", district="鹿城区",
                        approved=True)
        db.session.commit()
    assert apply_on_web(client).status_code == 302


# --- protection ---------------------------------------------------------------------------


def test_application_without_its_csrf_token_is_refused(app, client):
    client.get("/merchant/apply")
    response = client.post("/merchant/apply", data=application())
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    forged = client.post("/merchant/apply", data={**application(), "csrf_token": "forged"})
    assert forged.status_code == 400
    assert merchant_count(app) == 0


def test_applications_are_rate_limited(app, client):
    for n in range(10):
        assert apply_on_web(client, name="").status_code == 200
    assert apply_on_web(client).status_code == 429
    assert merchant_count(app) == 0

"""Merchant sign-in after applying: the owner who knows the password is told that the shop is
under review or was turned down (with the reason, and how to apply again); a turned-down
applicant applies again with the same phone; a reject reason is kept exactly as typed."""

from sqlalchemy import func, select

from tests.api.test_merchant_apply import PASSWORD, apply_on_web, errors_of
from tests.api.test_portal import post_form
from tests.api.test_staff_pages import (
    merchant_row,
    review,
    staff,  # noqa: F401 — a fixture
    texts_to,
)
from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.merchants.models import Merchant, MerchantUser

OWNER_PHONE = "13911112222"
#: every full-width mark a reviewer may type, as typed
REASON = "营业执照照片不清晰，请重新上传！店名与执照不符？请核对：名称；地址、电话“一致”（必填）。"


def merchant_sign_in(client, phone=OWNER_PHONE, password=PASSWORD, lang=""):
    url = "/merchant/login" + (f"?lang={lang}" if lang else "")
    return post_form(client, url, {"phone": phone, "password": password})


def applied(app, client) -> str:
    assert apply_on_web(client, owner_phone=OWNER_PHONE).status_code == 302
    with app.app_context():
        merchant_id = db.session.scalar(select(Merchant.id))
        db.session.remove()
    return merchant_id


def test_a_pending_owner_is_told_the_shop_is_under_review_after_the_right_password(app,
                                                                                  client):
    applied(app, client)
    page = merchant_sign_in(client)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "正在审核" in html and "老李面馆" in html
    assert "手机号或密码错误" not in html
    assert client.get("/merchant/").status_code == 302  # still not signed in
    english = merchant_sign_in(app.test_client(), lang="en").get_data(as_text=True)
    assert "is being reviewed" in english and "正在审核" not in english


def test_a_wrong_password_says_nothing_about_the_application(app, client):
    applied(app, client)
    wrong = merchant_sign_in(client, password="wrong-pass1").get_data(as_text=True)
    unknown = merchant_sign_in(client, phone="13900000000").get_data(as_text=True)
    assert "手机号或密码错误" in wrong and "正在审核" not in wrong and "老李面馆" not in wrong
    assert errors_of(merchant_sign_in(client, password="wrong-pass1")) == errors_of(
        merchant_sign_in(client, phone="13900000000"))
    assert "审核" not in unknown


def test_a_rejected_owner_is_told_the_reason_and_how_to_apply_again(app, client, staff):  # noqa: F811
    merchant_id = applied(app, client)
    assert review(client, merchant_id, "reject", REASON).status_code == 302
    html = merchant_sign_in(app.test_client()).get_data(as_text=True)
    assert "未通过审核" in html and REASON in html
    assert 'href="/merchant/apply"' in html and "重新申请" in html
    english = merchant_sign_in(app.test_client(), lang="en").get_data(as_text=True)
    assert "was not approved" in english and REASON in english and "Apply again" in english
    wrong = merchant_sign_in(app.test_client(), password="wrong-pass1").get_data(as_text=True)
    assert REASON not in wrong and "未通过审核" not in wrong


def test_a_reject_reason_keeps_its_full_width_punctuation(app, client, staff):  # noqa: F811
    merchant_id = applied(app, client)
    review(client, merchant_id, "reject", f"  {REASON}\n")
    assert merchant_row(app, merchant_id).review_note == REASON
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "merchant.reject"))
        assert event.details["note"] == REASON
        db.session.remove()
    [sms] = texts_to(app, OWNER_PHONE)
    assert f"原因：{REASON}如需" in sms  # no second full stop after the reason's own
    assert REASON in client.get(f"/staff/merchants/{merchant_id}").get_data(as_text=True)


def test_a_rejected_applicant_applies_again_with_the_same_phone(app, client, staff):  # noqa: F811
    merchant_id = applied(app, client)
    review(client, merchant_id, "reject", REASON)
    again = apply_on_web(app.test_client(), owner_phone=OWNER_PHONE, name="老李面馆（解放街店）",
                         address="解放街20号")
    assert again.status_code == 302 and again.headers["Location"].endswith("/submitted")
    row = merchant_row(app, merchant_id)
    assert (row.status, row.name, row.address) == ("pending", "老李面馆（解放街店）", "解放街20号")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Merchant)) == 1
        assert db.session.scalar(select(func.count()).select_from(MerchantUser)) == 1
        trail = db.session.execute(select(AuditEvent.action, AuditEvent.detail).where(
            AuditEvent.merchant_id == merchant_id).order_by(AuditEvent.id)).all()
        db.session.remove()
    assert [action for action, _ in trail] == ["user.create", "merchant.apply",
                                               "merchant.reject", "merchant.reapply"]
    queue = client.get("/staff/merchants?status=pending").get_data(as_text=True)
    assert "老李面馆（解放街店）" in queue
    page = client.get(f"/staff/merchants/{merchant_id}").get_data(as_text=True)
    assert "重新申请" in page and REASON in page  # the earlier rejection stays in the history
    assert "名称" in page and "地址" in page  # what the applicant changed
    html = merchant_sign_in(app.test_client()).get_data(as_text=True)
    assert "正在审核" in html


def test_applying_again_needs_the_accounts_password(app, client, staff):  # noqa: F811
    merchant_id = applied(app, client)
    review(client, merchant_id, "reject", REASON)
    response = apply_on_web(app.test_client(), owner_phone=OWNER_PHONE,
                            password="another-pass9", confirm="another-pass9")
    assert response.status_code == 200
    assert any("原来设置的密码" in error for error in errors_of(response))
    assert merchant_row(app, merchant_id).status == "rejected"


def test_a_pending_or_approved_merchants_phone_cannot_apply_again(app, client, staff):  # noqa: F811
    merchant_id = applied(app, client)
    assert apply_on_web(app.test_client(), owner_phone=OWNER_PHONE).status_code == 200
    review(client, merchant_id, "approve", "")
    response = apply_on_web(app.test_client(), owner_phone=OWNER_PHONE)
    assert response.status_code == 200 and merchant_row(app, merchant_id).status == "approved"


def test_an_application_keeps_chinese_punctuation_but_not_full_width_letters(app, client):
    apply_on_web(client, owner_phone=OWNER_PHONE, name="老王火锅（五马街店）ＶＩＰ",
                 address="解放街１８号，近五马街口")
    with app.app_context():
        merchant = db.session.scalar(select(Merchant))
        assert (merchant.name, merchant.address) == ("老王火锅（五马街店）VIP",
                                                     "解放街18号，近五马街口")
        db.session.remove()


def test_a_suspended_shop_or_a_disabled_sign_in_is_told_why_after_the_right_password(
        app, client, staff):  # noqa: F811
    merchant_id = applied(app, client)
    review(client, merchant_id, "approve", "")
    review(client, merchant_id, "suspend", "多次投诉未处理（3次）")
    html = merchant_sign_in(app.test_client()).get_data(as_text=True)
    assert "已暂停联盟服务" in html and "多次投诉未处理（3次）" in html
    assert "多次投诉" not in merchant_sign_in(app.test_client(), password="wrong-pass1").get_data(
        as_text=True)
    review(client, merchant_id, "reinstate", "")
    with app.app_context():
        db.session.scalar(select(MerchantUser)).active = False
        db.session.commit()
    html = merchant_sign_in(app.test_client(), lang="en").get_data(as_text=True)
    assert "Your sign-in is disabled" in html


def test_guessing_a_reapplicants_password_shares_the_sign_in_limits(app, client, staff):  # noqa: F811
    # Applying again checks the account's password: wrong guesses there count as failed
    # sign-ins of that phone from that address, so the form is no way round the sign-in limits
    merchant_id = applied(app, client)
    review(client, merchant_id, "reject", REASON)
    guesser = app.test_client()
    for attempt in range(9):
        response = apply_on_web(guesser, owner_phone=OWNER_PHONE,
                                password=f"guess-pass{attempt}", confirm=f"guess-pass{attempt}")
        assert response.status_code == 200
    assert merchant_sign_in(guesser, password="wrong-pass1").status_code == 200  # the 10th
    refused = merchant_sign_in(guesser)  # the right password, but no more tries for now
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert merchant_row(app, merchant_id).status == "rejected"


def test_applying_again_from_another_site_is_refused_without_the_forms_token(app, client,
                                                                             staff):  # noqa: F811
    # A page elsewhere that posts the owner's details (e.g. in a saved browser) cannot put a
    # turned-down shop back in review with its own name
    from tests.api.test_merchant_apply import application

    merchant_id = applied(app, client)
    review(client, merchant_id, "reject", REASON)
    forged = app.test_client().post("/merchant/apply", data=application(
        owner_phone=OWNER_PHONE, name="<b>别人的店</b>"))
    assert forged.status_code == 400
    row = merchant_row(app, merchant_id)
    assert (row.status, row.name) == ("rejected", "老李面馆")

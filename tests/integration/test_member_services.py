import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from valliance import secret_box
from valliance.db import utcnow
from valliance.errors import RateLimited, ValidationError
from valliance.members import services
from valliance.members.models import MemberToken, OneTimeCode
from valliance.members.services import otp
from valliance.messaging import OutboxMessage, deliver_pending
from valliance.points import accounts


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("13800138000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
     ("8613800138000", "13800138000"), ("0086 19912345678", "19912345678"),
     (" 138 0013 8000 ", "13800138000")],
)
def test_phone_numbers_are_normalized(raw, normalized):
    assert services.normalize_phone(raw) == normalized


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "138001380001", "abc",
                                 "+1 415 555 0100", None])
def test_bad_phone_numbers_are_refused_with_a_field_message(raw):
    with pytest.raises(ValidationError) as error:
        services.normalize_phone(raw)
    assert "phone" in error.value.details


def test_enrollment_opens_an_account_and_issues_a_card(session):
    member = services.enroll_member(session, phone="13800138000", name="王小明",
                                    password="secret123", opening_points=500)
    session.commit()
    assert member.card.number.startswith("9") and len(member.card.number) == 16
    assert accounts.get_balance(session, member.points_account_id).balance == 500


def test_a_phone_enrolls_once(session):
    services.enroll_member(session, phone="13800138000", name="甲")
    with pytest.raises(ValidationError) as error:
        services.enroll_member(session, phone="+86 13800138000", name="乙")
    assert "phone" in error.value.details


@pytest.mark.parametrize("password", ["short1", "allletters", "12345678", ""])
def test_weak_passwords_are_refused(session, password):
    with pytest.raises(ValidationError):
        services.enroll_member(session, phone="13800138000", name="甲", password=password)


def test_authenticate_answers_the_same_for_unknown_phone_and_wrong_password(session):
    services.enroll_member(session, phone="13800138000", name="甲", password="secret123")
    assert services.authenticate(session, "13800138000", "secret123") is not None
    assert services.authenticate(session, "13800138000", "wrong-pass1") is None
    assert services.authenticate(session, "13900139000", "secret123") is None


def test_tokens_expire_and_are_revoked_by_a_password_change(session):
    member = services.enroll_member(session, phone="13800138000", name="甲",
                                    password="secret123")
    token, row = services.create_token(session, member)
    assert services.member_for_token(session, token) is member
    assert services.member_for_token(session, token + "x") is None
    services.change_password(session, member, "secret123", "newsecret456")
    assert services.member_for_token(session, token) is None
    fresh, row = services.create_token(session, member)
    row.expires_at = utcnow() - timedelta(seconds=1)
    assert services.member_for_token(session, fresh) is None
    assert session.scalar(select(MemberToken.token_hash).limit(1)) != token  # only hashes


def _sent_code(session) -> str:
    body = session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id.desc())).first()
    return "".join(ch for ch in secret_box.unseal(body) if ch.isdigit())[:6]  # queued sealed


def test_a_one_time_code_works_once(session):
    otp.send_code(session, "13800138000", "signup")
    code = _sent_code(session)
    otp.verify_code(session, "13800138000", "signup", code)
    with pytest.raises(ValidationError):
        otp.verify_code(session, "13800138000", "signup", code)


def test_five_wrong_guesses_use_a_code_up(session):
    otp.send_code(session, "13800138000", "claim")
    code = _sent_code(session)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(otp.MAX_ATTEMPTS):
        with pytest.raises(ValidationError):
            otp.verify_code(session, "13800138000", "claim", wrong)
    with pytest.raises(ValidationError):
        otp.verify_code(session, "13800138000", "claim", code)


def test_an_expired_code_is_refused(session):
    otp.send_code(session, "13800138000", "signup")
    code = _sent_code(session)
    row = session.scalar(select(OneTimeCode))
    row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(ValidationError):
        otp.verify_code(session, "13800138000", "signup", code)


def test_codes_per_phone_are_limited(session):
    for _ in range(otp.MAX_CODES_PER_WINDOW):
        otp.send_code(session, "13800138000", "signup")
    with pytest.raises(RateLimited):
        otp.send_code(session, "13800138000", "signup")


def test_queued_sms_leave_after_the_commit(session):
    otp.send_code(session, "13800138000", "signup")
    session.commit()
    sent = []

    class Recorder:
        def send(self, recipient, body):
            sent.append((recipient, body))

    assert deliver_pending(session, Recorder()) == 1
    assert sent[0][0] == "13800138000" and "验证码" in sent[0][1]
    assert deliver_pending(session, Recorder()) == 0


def test_cards_past_their_date_expire_and_are_refused(session):
    from datetime import date

    from valliance.errors import CardInactive

    member = services.enroll_member(session, phone="13800138000", name="甲")
    card = member.card
    card.expires_on = date(2026, 1, 1)
    session.flush()
    with pytest.raises(CardInactive):
        services.require_usable(card)  # refused on the day after, even before the job runs
    assert services.expire_cards(session, today=date(2026, 1, 2)) == 1
    session.refresh(card)
    assert card.status == "expired"


def test_a_stored_one_time_code_cannot_be_found_by_hashing_every_code(session):
    # A plain hash of six digits is undone by trying the million of them: the digest is keyed.
    otp.send_code(session, "13800138000", "signup")
    code = _sent_code(session)
    stored = session.scalar(select(OneTimeCode.code_hash))
    assert stored != hashlib.sha256(f"13800138000:{code}".encode()).hexdigest()
    assert stored != hashlib.sha256(code.encode()).hexdigest()
    otp.verify_code(session, "13800138000", "signup", code)  # the server still checks it

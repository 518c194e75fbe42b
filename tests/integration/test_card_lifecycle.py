"""A V-card's life through the services: issue, freeze, lose, reissue, membership freeze."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from valliance.errors import CardInactive, CardNotFound, MembershipFrozen, ValidationError
from valliance.members import codes as cards
from valliance.members import services
from valliance.members.models import Card
from valliance.members.services import pay_codes
from valliance.points import accounts, ledger
from valliance.secret_box import unseal


@pytest.fixture
def member(session):
    member = services.enroll_member(session, phone="13800138000", name="李华",
                                    password="secret123", opening_points=800)
    session.commit()
    return member


def balance(session, member) -> int:
    return accounts.get_balance(session, member.points_account_id).balance


def test_enrollment_issues_one_active_luhn_card(session, member):
    card = member.card
    assert card.status == "active" and len(card.number) == 16 and cards.luhn_valid(card.number)
    found, pay_part = services.find_card(session, card.number)
    assert found is card and pay_part is None
    services.require_usable(found)  # does not raise


def test_a_pay_code_finds_its_card_and_keeps_the_time_part_apart(session, member):
    code, _ = pay_codes.current_code(member.card)
    found, pay_part = services.find_card(session, code)
    assert found is member.card and pay_part == code[16:]


@pytest.mark.parametrize("scanned", ["", "abc", "9123456789012345", "12345"])
def test_unknown_or_mistyped_numbers_are_card_not_found(session, member, scanned):
    with pytest.raises(CardNotFound):
        services.find_card(session, scanned)


def test_a_valid_number_that_was_never_issued_is_card_not_found(session, member):
    number = cards.random_card_number()
    while number == member.card.number:  # pragma: no cover - 1 in 10^14
        number = cards.random_card_number()
    with pytest.raises(CardNotFound):
        services.find_card(session, number)


def test_a_card_reported_lost_is_inactive(session, member):
    services.set_card_status(session, member.card, "lost")
    session.commit()
    card, _ = services.find_card(session, member.card.number)
    assert card.status == "lost"
    with pytest.raises(CardInactive) as caught:
        services.require_usable(card)
    assert caught.value.details == {"status": ["lost"]}


def test_a_frozen_card_is_inactive_until_unfrozen(session, member):
    card = member.card
    services.set_card_status(session, card, "frozen")
    with pytest.raises(CardInactive):
        services.require_usable(card)
    services.set_card_status(session, card, "active")
    services.require_usable(card)


def test_a_card_past_its_expiry_date_is_inactive(session, member):
    member.card.expires_on = date.today() - timedelta(days=1)
    session.flush()
    with pytest.raises(CardInactive) as caught:
        services.require_usable(member.card)
    assert caught.value.details == {"status": ["expired"]}


def test_reissue_gives_a_new_number_replaces_the_old_and_keeps_the_points(session, member):
    ledger.adjust(session, member_account=member.points_account_id, points=50,
                  reason="goodwill", actor="test")
    old = member.card
    old_number, account_before = old.number, member.points_account_id
    history_before = accounts.get_history(session, account_before).entries
    services.set_card_status(session, old, "lost")
    new = services.reissue_card(session, old)
    session.commit()

    assert new.number != old_number and cards.luhn_valid(new.number)
    assert old.status == "replaced" and old.replaced_by_id == new.id
    assert member.card is new and new.status == "active"
    assert member.points_account_id == account_before
    assert balance(session, member) == 850
    assert accounts.get_history(session, account_before).entries == history_before

    found, _ = services.find_card(session, old_number)
    with pytest.raises(CardInactive) as caught:
        services.require_usable(found)
    assert caught.value.details == {"status": ["replaced"]}
    found_new, _ = services.find_card(session, new.number)
    services.require_usable(found_new)
    assert len(session.scalars(select(Card).where(Card.member_id == member.id)).all()) == 2


def test_a_replaced_card_never_comes_back(session, member):
    old = member.card
    services.reissue_card(session, old)
    with pytest.raises(ValidationError):
        services.set_card_status(session, old, "active")
    with pytest.raises(ValidationError):
        services.reissue_card(session, old)


def test_the_old_cards_pay_code_is_refused_after_a_reissue(session, member):
    old = member.card
    code, _ = pay_codes.current_code(old)
    new = services.reissue_card(session, old)
    card, _ = services.find_card(session, code)
    with pytest.raises(CardInactive):
        services.require_usable(card)
    assert unseal(new.pay_secret) != unseal(old.pay_secret)


def test_points_earned_after_a_reissue_land_on_the_same_account(session, member):
    services.reissue_card(session, member.card)
    shop = accounts.open_merchant_accounts(session, "mer-1")
    ledger.accrue(session, member_account=member.points_account_id, source_account=shop.issued,
                  points=20, merchant_id="mer-1")
    session.commit()
    assert balance(session, member) == 820


@pytest.mark.parametrize("status", ["frozen", "expired"])
def test_a_frozen_or_expired_membership_refuses_an_active_card(session, member, status):
    services.set_membership(session, member, status)
    session.commit()
    card, _ = services.find_card(session, member.card.number)
    assert card.status == "active"
    with pytest.raises(MembershipFrozen):
        services.require_usable(card)
    assert member.points_frozen


def test_unfreezing_the_membership_makes_the_card_usable_again(session, member):
    services.set_membership(session, member, "frozen")
    services.set_membership(session, member, "active")
    services.require_usable(member.card)
    assert not member.points_frozen


def test_an_inactive_card_is_reported_before_a_frozen_membership(session, member):
    services.set_membership(session, member, "frozen")
    services.set_card_status(session, member.card, "lost")
    with pytest.raises(CardInactive):
        services.require_usable(member.card)

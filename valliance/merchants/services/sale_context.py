"""What a sale needs to know, read in one query, and the quote priced from it (contract §5).

A purchase used to cost a dozen ORM queries before its first write: the terminal, the
merchant, the card, the member, the offers and their tier rates, the balance. They are one
SELECT here — one row per active offer of the merchant (or one row without an offer) — on
plain tuples, no ORM objects. The contract's rules stay where they live: the card checks in
members.services.require_usable, the arithmetic in merchants.pricing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from functools import partial

from flask import current_app
from sqlalchemy import and_, bindparam, null, select
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import Connection

from valliance import logs
from valliance.coupons.redeeming import CouponTerms, coupon_value
from valliance.coupons.rules import rule_floor_subquery
from valliance.db import today_shanghai
from valliance.errors import (
    CardNotFound,
    InsufficientPoints,
    MerchantNotActive,
    RedemptionExceedsAmount,
)
from valliance.i18n import bilingual
from valliance.members import codes, tiers
from valliance.members import services as members
from valliance.members.models import Card, Member
from valliance.members.services import pay_codes
from valliance.merchants import pricing
from valliance.merchants.models import Merchant, Offer, OfferTierRate, Terminal
from valliance.merchants.services.birthday_points import double_points_column, extra_points
from valliance.points import AVAILABLE, BALANCE, MEMBER, fetch
from valliance.points import accounts_table as accounts


@dataclass(frozen=True)
class SaleMember:
    id: str
    tier: str
    membership_status: str
    points_account_id: int


@dataclass(frozen=True)
class SaleCard:
    """The scanned card with its member (duck-types Card for members.require_usable)."""

    id: str
    number: str
    status: str
    expires_on: date
    #: sealed (secret_box): opened only when points are redeemed
    pay_secret: str
    #: redemptions its pay codes have authorized (members.pay_codes)
    pay_code_uses: int
    member: SaleMember

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True)
class SaleMerchant:
    id: str
    status: str
    #: ledger accounts: points this merchant issues, points spent in its shop
    issued_account_id: int
    redeemed_account_id: int


@dataclass(frozen=True)
class SaleContext:
    #: None when the context was read for a merchant rather than a terminal key
    terminal_id: str | None
    merchant: SaleMerchant
    #: None: no card has this number
    card: SaleCard | None
    balance: int
    available: int
    owed: int
    #: the merchant's switched-on offers, each at the member's tier rate (dates not checked)
    offers: tuple[tuple[pricing.OfferTerms, date | None, date | None], ...]
    #: the member is in a double-points birthday month today (services.birthday_points)
    birthday_double: bool = False
    #: the least min_spend of the 满就送 rules that may apply here (None: none)
    rule_floor: int | None = None

    #: a programme waits for this member's sales (members.services.sale_watch): the app's path
    in_app: bool = False

    def may_earn_coupon(self, spent: int) -> bool:
        """A sale of this much may qualify for a 满就送 rule (coupons.rules decides)."""
        return self.rule_floor is not None and spent >= self.rule_floor


@dataclass(frozen=True)
class Quote:
    card: SaleCard
    terms: pricing.OfferTerms | None
    price: pricing.Price
    #: the member's balance after the purchase would be recorded
    points_balance: int
    #: the member's balance and points owed when the sale was priced
    balance_before: int
    owed_before: int
    #: the coupon the sale uses (contract §11), or None
    coupon: CouponTerms | None = None
    #: the alliance's extra points in a double-points birthday month (birthday_points)
    birthday_points: int = 0


terminals, merchants, offers = Terminal.__table__, Merchant.__table__, Offer.__table__
tier_rates, cards, holders = OfferTierRate.__table__, Card.__table__, Member.__table__


def _context_query(root, root_condition, terminal_id):
    joined = (
        root.outerjoin(cards, cards.c.number == bindparam("number"))
        .outerjoin(holders, holders.c.id == cards.c.member_id)
        .outerjoin(accounts, and_(accounts.c.id == holders.c.points_account_id,
                                  accounts.c.kind == MEMBER))
        .outerjoin(offers, and_(offers.c.merchant_id == merchants.c.id,
                                offers.c.active.is_(True)))
        .outerjoin(tier_rates, and_(tier_rates.c.offer_id == offers.c.id,
                                    tier_rates.c.tier == holders.c.tier))
    )
    return select(
        terminal_id, merchants.c.id, merchants.c.status, merchants.c.issued_account_id,
        merchants.c.redeemed_account_id,
        cards.c.id, cards.c.number, cards.c.status, cards.c.expires_on, cards.c.pay_secret,
        cards.c.pay_code_uses,
        holders.c.id, holders.c.tier, holders.c.membership_status, holders.c.points_account_id,
        BALANCE, AVAILABLE, accounts.c.owed, rule_floor_subquery(merchants.c.id),
        offers.c.id, offers.c.percent_off, offers.c.points_per_yuan, offers.c.valid_from,
        offers.c.valid_until, offers.c.created_at, tier_rates.c.percent_off,
        double_points_column(), holders.c.next_sale_in_app,
    ).select_from(joined).where(root_condition)


#: a live terminal's key (sha256), its merchant, the card: no rows = no such live terminal
_BY_KEY = _context_query(
    terminals.join(merchants, merchants.c.id == terminals.c.merchant_id),
    and_(terminals.c.key_hash == bindparam("key_hash"), terminals.c.revoked_at.is_(None)),
    terminals.c.id)
_BY_MERCHANT = _context_query(merchants, merchants.c.id == bindparam("merchant_id"), null())
# The same query, compiled once for PostgreSQL, with its constant parameters: it runs through
# the driver (context_on_postgres; points.fetch and points.run).
_compiled = _BY_KEY.compile(dialect=psycopg_dialect())
_BY_KEY_SQL, _BY_KEY_PARAMS = str(_compiled), dict(_compiled.params)


def _context(rows) -> SaleContext | None:
    if not rows:
        return None
    (terminal_id, merchant_id, merchant_status, issued, redeemed, card_id, number, card_status,
     expires_on, pay_secret, uses, member_id, tier, membership, account, balance, available,
     owed, rule_floor) = rows[0][:19]
    card = None
    if card_id is not None:
        card = SaleCard(card_id, number, card_status, expires_on, pay_secret, uses,
                        SaleMember(member_id, tier, membership, account))
    offers = tuple(
        (pricing.OfferTerms(offer_id, base if override is None else override, per_yuan,
                            created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)),
         valid_from, valid_until)
        for (offer_id, base, per_yuan, valid_from, valid_until, created_at, override)
        in (row[19:26] for row in rows) if offer_id is not None)
    return SaleContext(terminal_id, SaleMerchant(merchant_id, merchant_status, issued, redeemed),
                       card, balance or 0, available or 0, owed or 0, offers,
                       birthday_double=bool(rows[0][26]), rule_floor=rule_floor,
                       in_app=bool(rows[0][27]))


def parse_card(scanned: str) -> tuple[str, str | None]:
    """(card number, pay-code time part); a mistyped code gives "" (no card has it)."""
    parts = codes.split_scanned_code(scanned or "")
    if parts is None or not codes.luhn_valid(parts[0]):
        return "", None
    return parts


def context_for_terminal(conn: Connection, key_hash: str, number: str) -> SaleContext | None:
    """The sale's context for a live terminal's key hash, or None: no such live terminal."""
    if conn.dialect.name == "postgresql":
        return context_on_postgres(partial(fetch, conn), key_hash, number)
    return _context(conn.execute(_BY_KEY, {"key_hash": key_hash, "number": number,
                                           "today": today_shanghai()}).all())


def context_on_postgres(fetch: Callable[[str, dict], list], key_hash: str, number: str
                        ) -> SaleContext | None:
    """context_for_terminal on PostgreSQL, through fetch(sql, params) → rows."""
    return _context(fetch(_BY_KEY_SQL, {**_BY_KEY_PARAMS, "key_hash": key_hash,
                                        "number": number, "today": today_shanghai()}))


def context_for_merchant(conn: Connection, merchant_id: str, number: str) -> SaleContext:
    """The sale's context at this merchant."""
    rows = conn.execute(_BY_MERCHANT, {"merchant_id": merchant_id, "number": number,
                                       "today": today_shanghai()}).all()
    context = _context(rows)
    if context is None:
        raise LookupError(f"no merchant {merchant_id}")
    return context


#: why a merchant that is not approved cannot sell, by its status (contract §10)
_NOT_SELLING = {
    "suspended": bilingual("本商户已被联盟暂停，收银已停止"),
    "pending": bilingual("本商户尚未通过联盟审核，暂不能收银"),
    "rejected": bilingual("本商户未通过联盟审核，不能收银"),
}


def name_in_logs(context: SaleContext) -> None:
    """The sale's terminal, merchant and member, in its request's log lines (valliance.logs)."""
    logs.remember(terminal_id=context.terminal_id, merchant_id=context.merchant.id,
                  member_id=context.card.member.id if context.card else None)


def require_selling(status: str) -> None:
    """Only an approved merchant's terminals sell: anything else is 403 merchant_not_active."""
    if status != "approved":
        raise MerchantNotActive(_NOT_SELLING.get(status), details={"status": [status]})


def _active_terms(context: SaleContext, today: date) -> list[pricing.OfferTerms]:
    if context.merchant.status != "approved":
        return []
    return [terms for terms, valid_from, valid_until in context.offers
            if pricing.offer_is_active(True, valid_from, valid_until, today)]


def price_sale(context: SaleContext, pay_part: str | None, amount: int,
               redeem_points: int, coupon: CouponTerms | None = None) -> Quote:
    """Price a sale from its context; raises the contract's errors in the contract's order.

    The coupon is checked after the card and the pay code (coupon_invalid, coupon_min_spend),
    before redemption_exceeds_amount, which it takes part in (contract §11's arithmetic).
    """
    card = context.card
    if card is None:
        raise CardNotFound()
    members.require_usable(card)
    tier = card.member.tier
    multiplier = tiers.multiplier(tier)
    point_value = current_app.config["POINT_VALUE_FEN"]
    today = today_shanghai()
    terms = pricing.best_offer(_active_terms(context, today), multiplier, point_value)
    if redeem_points > 0:
        # 429 while locked, pay_code_used, redemption_not_authorized (contract §3, §10)
        pay_codes.authorize(card, pay_part, context.terminal_id)
        if redeem_points > context.available:
            raise InsufficientPoints(details={"points_balance": [str(context.available)]})
    price = pricing.price_purchase(amount, terms, multiplier, 0, point_value)
    off = 0
    if coupon is not None:
        off = coupon_value(coupon, member_id=card.member.id, merchant_id=context.merchant.id,
                           today=today, amount=amount, discount=price.discount)
        if not off:  # nothing left to take off: the coupon is not used (docs/coupons.md)
            coupon = None
    if redeem_points * point_value > amount - price.discount - off:
        raise RedemptionExceedsAmount()
    if redeem_points or off:
        price = pricing.price_purchase(amount, terms, multiplier, redeem_points, point_value,
                                       off)
    extra = extra_points(price.points_earned, context.birthday_double)
    # Points earned first settle what the member owes (ledger rule), so say what will remain.
    owed_paid = min(price.points_earned + extra, context.owed)
    after = context.balance - redeem_points + price.points_earned + extra - owed_paid
    return Quote(card, terms, price, after, context.balance, context.owed, coupon, extra)

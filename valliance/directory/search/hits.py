"""What a search answers: each hit priced for the caller's tier, and the script read out."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from valliance import money


@dataclass(frozen=True)
class HitMerchant:
    id: str
    name: str
    category: str
    district: str
    address: str
    phone: str
    #: typical spend per customer, in fen
    avg_spend: int


@dataclass(frozen=True)
class HitOffer:
    id: str
    title: str
    #: for the caller's tier (its override, else the base rate)
    percent_off: Decimal
    label: str
    points_per_yuan: int
    valid_until: date | None


@dataclass(frozen=True)
class SearchHit:
    merchant: HitMerchant
    offer: HitOffer
    effective_percent: Decimal
    #: what the operator reads out
    script: str


def hit(row, tier: str, multiplier: Decimal, point_value: int) -> SearchHit:
    """One result of a page's row (statements._page_columns)."""
    percent_off, effective, label, said = _priced(row._mapping[f"off_{tier}"],
                                                  row.points_per_yuan, multiplier, point_value)
    merchant = HitMerchant(row.merchant_id, row.name, row.category, row.district, row.address,
                           row.phone, row.avg_spend)
    offer = HitOffer(row.offer_id, row.title, percent_off, label, row.points_per_yuan,
                     row.valid_until)
    return SearchHit(merchant, offer, effective, f"持V卡到{row.name}消费{said}")


@lru_cache(maxsize=4096)
def _priced(off_hundredths: int, points_per_yuan: int, multiplier: Decimal,
            point_value: int) -> tuple[Decimal, Decimal, str, str]:
    """(percent_off, effective_percent, label, what the script says after the name) of a rate:
    worked out once per rate, not per result (a page's offers share a handful)."""
    percent_off = Decimal(off_hundredths) / 100
    # the value the SQL ranked by (test_every_page_is_in_the_ranking_order_the_hits_report),
    # computed as the POS computes it
    effective = money.effective_percent(percent_off, points_per_yuan, multiplier, point_value)
    return (percent_off, effective, money.discount_label(percent_off),
            _script_tail(percent_off, points_per_yuan, multiplier))


def _plain(value: Decimal) -> str:
    """12.50 → 12.5, 3.0 → 3, 10 → 10 (never 1E+1)."""
    return format(value.normalize(), "f")


def script(name: str, percent_off: Decimal, points_per_yuan: int, multiplier: Decimal) -> str:
    """What the operator reads: 持V卡到老王火锅消费可享8.8折，每消费1元积3分。"""
    return f"持V卡到{name}消费{_script_tail(percent_off, points_per_yuan, multiplier)}"


def _script_tail(percent_off: Decimal, points_per_yuan: int, multiplier: Decimal) -> str:
    points = points_per_yuan * Decimal(multiplier)  # the tier's points per yuan: 2 × 1.5 = 3
    discount = f"可享{money.discount_label(percent_off)}" if percent_off > 0 else ""
    if points > 0:
        return f"{discount}，每消费1元积{_plain(points)}分。"
    if discount:
        return f"{discount}。"
    return "暂无折扣和积分。"


def offer_json(found: SearchHit) -> dict:
    """One result as contract §6 shows it."""
    merchant, offer = found.merchant, found.offer
    return {
        "merchant": {"id": merchant.id, "name": merchant.name, "category": merchant.category,
                     "district": merchant.district, "address": merchant.address,
                     "phone": merchant.phone, "avg_spend": merchant.avg_spend},
        "offer": {"id": offer.id, "title": offer.title,
                  "percent_off": money.percent_json(offer.percent_off),
                  "label": offer.label, "points_per_yuan": offer.points_per_yuan,
                  "valid_until": offer.valid_until.isoformat() if offer.valid_until else None},
        # the contract shows 15.0: a JSON number, from the exact Decimal (float() of a value
        # with two decimals prints back exactly)
        "effective_percent": float(found.effective_percent.quantize(Decimal("0.01"))),
        "script": found.script,
    }

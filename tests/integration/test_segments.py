"""Segments (issue #17): each filter, combined filters, members_of and `flask segments
preview` (contract §11), on a small alliance built through the services."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from valliance.errors import ValidationError
from valliance.marketing.models import MemberScore
from valliance.marketing.services.segments import Filters, members_of, parse_filters, preview
from valliance.members.services import enroll_member
from valliance.merchants.services import purchases
from valliance.merchants.services.onboarding import create_merchant
from valliance.points import member_balances


@dataclass
class Alliance:
    merchants: dict
    members: dict


def _shop(session, name, category, district):
    return create_merchant(session, name=name, category=category, district=district,
                           avg_spend=8000, approved=True)


def _buy(session, merchant, member, days_ago: int, amount=10_000):
    purchases.record_purchase(session, merchant, None, member.card.number, amount, 0, None,
                              at=datetime.now(UTC) - timedelta(days=days_ago))


@pytest.fixture(autouse=True)
def _exact_validity(app):
    """The expiry filters here count days from each purchase: points last exactly 730 days
    (the year-end rule, on by default, is tested in test_points_expiry)."""
    app.config["POINTS_EXPIRE_AT_YEAR_END"] = False
    yield
    app.config["POINTS_EXPIRE_AT_YEAR_END"] = True


@pytest.fixture
def alliance(session) -> Alliance:
    """甲 gold, 500 points, bought at the hotpot 3 times and the hotel once (5 days ago);
    乙 standard, hotel 100 days ago and salon 200 days ago (a tie: the hotel, bought at last);
    丙 silver, 2,000 points, never bought; 丁 diamond, salon 50 and 60 days ago."""
    shops = {"hotpot": _shop(session, "老王火锅", "餐饮", "鹿城镇"),
             "hotel": _shop(session, "江心酒店", "酒店", "龙湾区"),
             "salon": _shop(session, "小美美发", "美容美发", "瓯海区")}
    people = {}
    for key, phone, tier, points, joined in (
            ("甲", "13800000001", "gold", 500, datetime(2025, 1, 10, 4, tzinfo=UTC)),
            ("乙", "13800000002", "standard", 0, datetime(2025, 5, 31, 16, tzinfo=UTC)),
            ("丙", "13800000003", "silver", 2000, datetime(2026, 2, 28, 16, tzinfo=UTC)),
            ("丁", "13800000004", "diamond", 0, datetime(2026, 6, 1, 4, tzinfo=UTC))):
        person = enroll_member(session, phone=phone, name=f"会员{key}", tier=tier,
                               opening_points=points)
        person.created_at = joined  # when they joined (enrolment dates it now)
        people[key] = person
    for days in (10, 20, 30):
        _buy(session, shops["hotpot"], people["甲"], days)
    _buy(session, shops["hotel"], people["甲"], 5)
    _buy(session, shops["hotel"], people["乙"], 100)
    _buy(session, shops["salon"], people["乙"], 200)
    _buy(session, shops["salon"], people["丁"], 50)
    _buy(session, shops["salon"], people["丁"], 60)
    session.add_all([MemberScore(member_id=people["甲"].id, recency_days=5, frequency=4,
                                 monetary_fen=40_000, r=5, f=5, m=5, cell="important_value"),
                     MemberScore(member_id=people["乙"].id, recency_days=100, frequency=2,
                                 monetary_fen=20_000, r=1, f=2, m=2, cell="general_retain")])
    session.commit()
    return Alliance(shops, people)


def names(session, alliance, **fields) -> set[str]:
    """The members (by key) the filters name, checked against members_of and the count."""
    filters = parse_filters(fields)
    result = preview(session, filters, sample=10)
    picked = {m.name.removeprefix("会员") for m in result.sample}
    ids = set(session.scalars(members_of(session, filters)))
    assert ids == {alliance.members[key].id for key in picked}
    assert result.count == len(picked)
    return picked


def test_no_filters_names_every_member(session, alliance):
    assert names(session, alliance) == {"甲", "乙", "丙", "丁"}
    assert parse_filters({}).empty


def test_tiers(session, alliance):
    assert names(session, alliance, tiers=["gold", "diamond"]) == {"甲", "丁"}
    assert names(session, alliance, tiers="silver") == {"丙"}


def test_district_of_the_most_frequent_merchant_ties_go_to_the_latest(session, alliance):
    assert names(session, alliance, districts=["鹿城镇"]) == {"甲"}  # 3 hotpot v 1 hotel
    assert names(session, alliance, districts=["龙湾区"]) == {"乙"}  # tie: hotel was later
    assert names(session, alliance, districts=["瓯海区"]) == {"丁"}
    assert names(session, alliance, districts=["鹿城镇", "瓯海区"]) == {"甲", "丁"}
    assert names(session, alliance, districts=["洞头区"]) == set()


def test_rfm_cells(session, alliance):
    assert names(session, alliance, rfm_cells=["important_value"]) == {"甲"}
    assert names(session, alliance, rfm_cells=["important_value", "general_retain"]) == {
        "甲", "乙"}
    assert names(session, alliance, rfm_cells=["general_keep"]) == set()


def test_days_since_last_purchase(session, alliance):
    # at least 40 days without a purchase: the never-bought member too
    assert names(session, alliance, inactive_min=40) == {"乙", "丙", "丁"}
    assert names(session, alliance, inactive_max=60) == {"甲", "丁"}
    assert names(session, alliance, inactive_min=40, inactive_max=60) == {"丁"}
    assert names(session, alliance, inactive_min="0") == {"甲", "乙", "丙", "丁"}


def test_balance_range(session, alliance):
    balances = member_balances(session, [m.points_account_id for m in alliance.members.values()])
    by_key = {key: balances[m.points_account_id] for key, m in alliance.members.items()}
    assert by_key["丙"] == 2000 and by_key["甲"] > 500
    assert names(session, alliance, balance_min=2000) == {"丙"}
    assert names(session, alliance, balance_max=by_key["甲"] - 1) == {
        key for key, points in by_key.items() if points < by_key["甲"]}
    assert names(session, alliance, balance_min=by_key["甲"], balance_max=by_key["甲"]) == {"甲"}


def test_points_expiring_within_days(session, alliance):
    # points last two years: those earned more than 35 days ago expire within 695 days
    assert names(session, alliance, expiring_within=695) == {"乙", "丁"}
    assert names(session, alliance, expiring_within=10) == set()
    assert names(session, alliance, expiring_within=800) == {"甲", "乙", "丙", "丁"}


def test_categories_and_merchants_bought_at(session, alliance):
    assert names(session, alliance, categories=["酒店"]) == {"甲", "乙"}
    assert names(session, alliance, categories=["餐饮", "美容美发"]) == {"甲", "乙", "丁"}
    salon = alliance.merchants["salon"].id
    assert names(session, alliance, merchants=[salon]) == {"乙", "丁"}


def test_joined_before_and_after_are_shanghai_days(session, alliance):
    # 丙 joined at 00:00 on 1 March 2026 in Shanghai (16:00 UTC the day before)
    assert names(session, alliance, joined_after="2026-03-01") == {"丙", "丁"}
    assert names(session, alliance, joined_before="2026-02-28") == {"甲", "乙"}
    assert names(session, alliance, joined_after=date(2025, 6, 1),
                 joined_before=date(2026, 3, 1)) == {"乙", "丙"}


def test_opted_in_names_only_members_who_agreed_to_marketing(session, alliance):
    from valliance.members.services.marketing_consent import set_marketing_opt_in

    set_marketing_opt_in(session, alliance.members["乙"], True, actor="test", via="portal")
    session.flush()
    assert names(session, alliance, opted_in="1") == {"乙"}
    assert names(session, alliance, opted_in="") == {"甲", "乙", "丙", "丁"}  # off: no filter
    assert parse_filters({"opted_in": "on"}).to_dict() == {"opted_in": True}
    with pytest.raises(ValidationError):
        parse_filters({"opted_in": "maybe"})


def test_filters_combine(session, alliance):
    assert names(session, alliance, tiers=["gold", "diamond", "standard"],
                 inactive_max=60, categories=["美容美发"]) == {"丁"}
    assert names(session, alliance, rfm_cells=["important_value"], districts=["龙湾区"]) == set()


def test_the_sample_shows_name_phone_tier_cell_newest_first(session, alliance):
    result = preview(session, Filters(), sample=2)
    assert result.count == 4
    assert [(m.name, m.tier, m.cell) for m in result.sample] == [
        ("会员丁", "diamond", None), ("会员丙", "silver", None)]
    scored = preview(session, parse_filters({"tiers": ["gold"]})).sample[0]
    assert (scored.phone, scored.cell) == ("13800000001", "important_value")


def test_filters_round_trip_through_a_dict():
    filters = parse_filters({"tiers": ["gold"], "districts": "鹿城镇", "inactive_min": "30",
                             "joined_after": "2025-01-01", "balance_max": ""})
    assert filters.to_dict() == {"tiers": ["gold"], "districts": ["鹿城镇"],
                                 "inactive_min": 30, "joined_after": "2025-01-01"}
    assert parse_filters(filters.to_dict()) == filters


@pytest.mark.parametrize(("fields", "field"), [
    ({"tiers": ["platinum"]}, "tiers"), ({"rfm_cells": ["vip"]}, "rfm_cells"),
    ({"categories": ["书店"]}, "categories"), ({"inactive_min": "abc"}, "inactive_min"),
    ({"balance_min": "-5"}, "balance_min"), ({"balance_min": 9, "balance_max": 3}, "balance_max"),
    ({"joined_after": "2025-13-01"}, "joined_after"),
    ({"joined_after": "2026-01-02", "joined_before": "2026-01-01"}, "joined_before"),
    ({"birthday_month": "13"}, "birthday_month"), ({"birthday_month": "0"}, "birthday_month"),
    ({"birthday_month": "五"}, "birthday_month"), ({"birthday_today": "maybe"}, "birthday_today"),
    ({"colour": "red"}, "colour")])
def test_wrong_filters_are_refused_per_field(fields, field):
    with pytest.raises(ValidationError) as refused:
        parse_filters(fields)
    assert list(refused.value.details) == [field]
    assert " / " in str(refused.value.details[field][0])  # Chinese and English


def run(app, *args):
    return app.test_cli_runner().invoke(args=["segments", "preview", *args])


def test_cli_preview_counts(app, alliance):
    result = run(app, "--tier", "gold", "--tier", "diamond", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"count": 2}
    both = run(app, "--district", "瓯海区", "--inactive-days", "40", "--rfm", "general_retain",
               "--json")
    assert json.loads(both.stdout) == {"count": 0}
    assert json.loads(run(app, "--inactive-days", "40", "--json").stdout) == {"count": 3}
    assert json.loads(run(app, "--rfm", "general_retain", "--json").stdout) == {"count": 1}
    human = run(app, "--district", "鹿城镇")
    assert human.exit_code == 0 and "1" in human.stdout and "138****0001" in human.stdout


def test_cli_refuses_a_wrong_birthday_month_and_bad_values(app, alliance):
    result = run(app, "--birthday-month", "13", "--json")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert answer["error"] == "validation_error" and "birthday_month" in answer["details"]
    assert "月份" in answer["details"]["birthday_month"][0]
    bad = json.loads(run(app, "--tier", "platinum", "--json").stdout)
    assert bad["error"] == "validation_error" and "tiers" in bad["details"]
    usage = run(app, "--colour", "red", "--json")
    assert usage.exit_code == 2 and json.loads(usage.stdout)["error"] == "usage_error"
    plain = run(app, "--birthday-month", "13")
    assert plain.exit_code == 1 and "Traceback" not in plain.output and "月份" in plain.stderr

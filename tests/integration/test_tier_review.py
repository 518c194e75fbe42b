"""`flask tiers review --year Y`: tiers from the year's telecom + alliance spend (contract §4)."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from valliance.members.models import AnnualSpend, Member, TierChange
from valliance.members.services import enroll_member
from valliance.members.services.tier_review import review_tiers


def review(app, year: int) -> dict:
    result = app.test_cli_runner().invoke(args=["tiers", "review", "--year", str(year), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def add_member(session, phone="13800138000", tier="standard", spend=None,
               granted: bool = False) -> str:
    """A member, optionally with {year: (telecom_fen, alliance_fen)} spend rows.

    The tier comes from an earlier review unless granted=True (a tier given on joining,
    which holds for a year whatever the review says).
    """
    member = enroll_member(session, phone=phone, name="张三", tier=tier)
    if not granted:
        member.tier_valid_until = None
    for year, (telecom, alliance) in (spend or {}).items():
        session.add(AnnualSpend(member_id=member.id, year=year, telecom_fen=telecom,
                                alliance_fen=alliance))
    session.commit()
    return member.id


def review_changes(session, member_id) -> list[TierChange]:
    session.rollback()
    return session.scalars(select(TierChange).where(TierChange.member_id == member_id,
                                                    TierChange.review_year.is_not(None))).all()


@pytest.mark.parametrize("telecom, alliance, tier", [
    (0, 0, "standard"),
    (359999, 0, "standard"),
    (359998, 1, "standard"),
    (360000, 0, "silver"),
    (300000, 60000, "silver"),
    (0, 360000, "silver"),
    (599999, 0, "silver"),
    (599000, 999, "silver"),
    (600000, 0, "gold"),
    (500000, 100000, "gold"),
    (959999, 0, "gold"),
    (959000, 999, "gold"),
    (960000, 0, "diamond"),
    (900000, 60000, "diamond"),
    (5000000, 0, "diamond"),
])
def test_review_sets_the_tier_from_telecom_plus_alliance_spend(app, session, telecom, alliance,
                                                               tier):
    member_id = add_member(session, spend={2025: (telecom, alliance)})
    answer = review(app, 2025)
    assert answer == {"reviewed": 1, "changed": int(tier != "standard")}
    session.rollback()
    member = session.get(Member, member_id)
    assert member.tier == tier
    assert member.tier_valid_until == date(2026, 12, 31)
    changes = review_changes(session, member_id)
    if tier == "standard":
        assert changes == []
    else:
        [change] = changes
        assert (change.from_tier, change.to_tier, change.review_year, change.spend_fen) == (
            "standard", tier, 2025, telecom + alliance)
        assert "2025" in change.reason and "¥" in change.reason


def test_review_rerun_with_the_same_data_changes_nothing(app, session):
    ids = [add_member(session, f"1380013800{i}", spend={2025: (amount, 0)})
           for i, amount in enumerate([0, 360000, 600000, 960000])]
    assert review(app, 2025) == {"reviewed": 4, "changed": 3}
    assert review(app, 2025) == {"reviewed": 4, "changed": 0}
    session.rollback()
    assert session.scalar(select(func.count()).select_from(TierChange)
                          .where(TierChange.review_year == 2025)) == 3
    assert [session.get(Member, i).tier for i in ids] == ["standard", "silver", "gold", "diamond"]


def test_review_demotes_members_whose_spend_fell_and_counts_missing_spend_as_zero(app, session):
    fell = add_member(session, "13800138001", tier="gold", spend={2025: (400000, 0)})
    silent = add_member(session, "13800138002", tier="silver")
    assert review(app, 2025) == {"reviewed": 2, "changed": 2}
    session.rollback()
    assert session.get(Member, fell).tier == "silver"
    assert session.get(Member, silent).tier == "standard"
    assert [(c.from_tier, c.to_tier) for c in review_changes(session, fell)] == [
        ("gold", "silver")]


def test_review_reads_only_the_given_year(app, session):
    member_id = add_member(session, spend={2024: (960000, 0), 2025: (360000, 0)})
    review(app, 2025)
    session.rollback()
    assert session.get(Member, member_id).tier == "silver"


def test_review_keeps_one_change_per_member_and_year_when_spend_is_corrected(app, session):
    member_id = add_member(session, spend={2025: (600000, 0)})
    review(app, 2025)
    session.rollback()
    spend = session.scalar(select(AnnualSpend).where(AnnualSpend.member_id == member_id))
    spend.telecom_fen = 960000
    session.commit()
    assert review(app, 2025)["changed"] == 1
    [change] = review_changes(session, member_id)
    assert (change.from_tier, change.to_tier, change.spend_fen) == ("standard", "diamond", 960000)

    spend = session.scalar(select(AnnualSpend).where(AnnualSpend.member_id == member_id))
    spend.telecom_fen = 100
    session.commit()
    assert review(app, 2025)["changed"] == 1
    assert review_changes(session, member_id) == []
    assert session.get(Member, member_id).tier == "standard"


def test_review_tiers_flushes_and_leaves_the_commit_to_the_caller(session):
    member_id = add_member(session, spend={2025: (960000, 0)})
    assert review_tiers(session, 2025) == (1, 1)
    session.rollback()
    assert session.get(Member, member_id).tier == "standard"


def test_review_without_a_year_is_refused(app):
    result = app.test_cli_runner().invoke(args=["tiers", "review"])
    assert result.exit_code != 0 and "--year" in result.output


def test_a_tier_granted_on_joining_is_not_demoted_before_its_year_is_up(app, session):
    member_id = add_member(session, tier="gold", granted=True)
    assert review(app, 2025) == {"reviewed": 1, "changed": 0}
    session.rollback()
    assert session.get(Member, member_id).tier == "gold"

"""The directory search (contract §6) against search_offers: matching, active offers only,
the ranking rule, tiers, filters, pagination — and the search documents staying in step with
writes."""

import importlib.util
import json
import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from valliance.db import today_shanghai
from valliance.directory.documents import reindex_all
from valliance.directory.models import LetterGram, SearchDocument
from valliance.directory.search import SearchQuery, search_offers
from valliance.merchants import signals
from valliance.merchants.models import Merchant, Offer
from valliance.merchants.services import onboarding
from valliance.merchants.services.imports import import_merchants
from valliance.merchants.services.offers import create_offer, update_offer
from valliance.merchants.services.onboarding import create_merchant, set_merchant_status


def shop(session, name, *, category="餐饮", district="鹿城区", address="", avg_spend=5000,
         approved=True, title="会员优惠", percent_off=10, points_per_yuan=1, **offer):
    merchant = create_merchant(session, name=name, category=category, district=district,
                               address=address, avg_spend=avg_spend, approved=approved,
                               phone="0577-88880000")
    created = create_offer(session, merchant, title=title, percent_off=percent_off,
                           points_per_yuan=points_per_yuan, **offer)
    return merchant, created


def names(session, q="", **query):
    return [hit.merchant.name for hit in search_offers(session, SearchQuery(q=q, **query))[1]]


def found(session, q, **query) -> set[str]:
    return set(names(session, q, limit=100, **query))


@pytest.fixture
def town(session):
    shop(session, "老王火锅", address="五马街1号", title="会员8.8折", percent_off=12,
         points_per_yuan=2)
    shop(session, "KFC肯德基(五马店)", address="解放街8号", title="套餐特惠")
    shop(session, "小李烧烤", address="人民路12号")
    shop(session, "丽人美发", category="美容美发", district="龙湾区", address="永中街道3号",
         title="剪发八折", percent_off=20)
    shop(session, "乐清大酒店", category="酒店", district="乐清市", address="乐成街道9号")
    session.commit()


# --- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize("q, expected", [
    ("火锅", {"老王火锅"}),  # Chinese, two characters (no trigram)
    ("锅", {"老王火锅"}),  # one character
    ("王火锅", {"老王火锅"}),  # three characters
    ("老王火锅", {"老王火锅"}),
    ("五马", {"老王火锅", "KFC肯德基(五马店)"}),  # name or address
    ("八折", {"丽人美发"}),  # offer title
    ("美容", {"丽人美发"}),  # category
    ("人民路", {"小李烧烤"}),  # address
    ("huoguo", {"老王火锅"}),  # full pinyin
    ("HuoGuo", {"老王火锅"}),  # case-insensitive
    ("lao wang", {"老王火锅"}),
    ("hg", {"老王火锅"}),  # initials, two letters
    ("uo", set()),  # two letters are initials or written words, never inside full pinyin
    ("kf", {"KFC肯德基(五马店)"}),  # … the written word KFC (and the initials of 咖啡)
    ("12", {"小李烧烤"}),  # a number in the address
    ("lwhg", {"老王火锅"}),
    ("LWHG", {"老王火锅"}),
    ("yueqing", {"乐清大酒店"}),  # 乐清 is yue qing, not le qing
    ("KFC肯德基", {"KFC肯德基(五马店)"}),  # mixed
    ("kfc", {"KFC肯德基(五马店)"}),
    ("kendeji", {"KFC肯德基(五马店)"}),
    ("ＫＦＣ", {"KFC肯德基(五马店)"}),  # full-width, as a Chinese IME types it
    ("烧烤 人民路", {"小李烧烤"}),  # every term must match
    ("烧烤 五马", set()),
    ("火锅店", set()),
])
def test_matches_name_title_category_and_address(session, town, q, expected):
    assert found(session, q) == expected


@pytest.mark.parametrize("q", [
    "huaguo",  # a letter wrong (huoguo)
    "huguo",  # a letter missing
    "huoguoo",  # a letter extra
    "xhuoguo",  # an extra letter in front
    "laowanghuaguo",
    "shaokoa",  # 烧烤 shaokao
])
def test_one_typo_is_forgiven_in_pinyin_of_five_letters_or_more(session, town, q):
    assert found(session, q) & {"老王火锅", "小李烧烤"}


@pytest.mark.parametrize("q", [
    "hugo",  # four letters: no typo forgiven
    "huaguu",  # two letters wrong
    "huoguo1",  # not only letters
    "火过",  # Chinese: the typo rule is for pinyin
])
def test_no_typo_is_forgiven_otherwise(session, town, q):
    assert "老王火锅" not in found(session, q)


def test_each_pinyin_term_of_a_query_forgives_its_own_typo(session, town):
    assert found(session, "老王 huaguo") == {"老王火锅"}
    assert found(session, "小李 huaguo") == set()


def test_a_typo_is_forgiven_only_when_the_query_as_typed_finds_nothing(session, town):
    shop(session, "洗车行", category="汽车服务")
    shop(session, "汽车美容", category="汽车服务")  # qiche: one letter from xiche
    shop(session, "花果山水果", category="零售")  # huaguo, as typed
    session.commit()
    assert found(session, "xiche") == {"洗车行"}
    assert found(session, "xqiche") == {"洗车行", "汽车美容"}  # as typed, nothing: xiche, qiche
    assert found(session, "huaguo") == {"花果山水果"}
    assert found(session, "huaguo", category="餐饮") == {"老王火锅"}


def test_a_typo_query_that_no_document_can_contain_finds_nothing(session, town):
    assert search_offers(session, SearchQuery(q="qqqqqqq")) == (0, [])


def test_like_metacharacters_are_not_wildcards(session, town):
    everything = found(session, "")
    assert found(session, "%") == everything  # no term at all
    assert found(session, "_") == everything
    assert found(session, "火%锅") == {"老王火锅"}  # two terms: 火 and 锅


def test_one_result_per_offer_and_only_the_offers_that_match(session):
    merchant, first = shop(session, "老王火锅", title="工作日午市")
    second = create_offer(session, merchant, title="双倍积分日", percent_off=0,
                          points_per_yuan=2)
    session.commit()
    _, hits = search_offers(session, SearchQuery(q="老王"))
    assert sorted(hit.offer.id for hit in hits) == sorted([first.id, second.id])
    _, hits = search_offers(session, SearchQuery(q="双倍"))
    assert [hit.offer.id for hit in hits] == [second.id]


# --- active offers of approved merchants ---------------------------------------------------


def test_only_active_offers_of_approved_merchants_are_found(session):
    today = today_shanghai()
    shop(session, "今天到期火锅", valid_until=today)
    shop(session, "今天开始火锅", valid_from=today)
    shop(session, "昨天到期火锅", valid_until=today - timedelta(days=1))
    shop(session, "明天开始火锅", valid_from=today + timedelta(days=1))
    shop(session, "已下架火锅", active=False)
    shop(session, "待审火锅", approved=False)
    suspended, _ = shop(session, "暂停火锅")
    set_merchant_status(session, suspended, "suspended")
    session.commit()
    assert found(session, "火锅") == {"今天到期火锅", "今天开始火锅"}


# --- ranking -------------------------------------------------------------------------------


def rank(session, tier="standard"):
    """The ranking of a text search; the same shops listed by category (every shop() is 餐饮)
    must come in the same order — two different statements (a window over the term's
    matches; a list in the ranking order)."""
    by_text = names(session, "店", tier=tier)
    assert names(session, category="餐饮", tier=tier) == by_text
    return by_text


def test_ranked_by_effective_percent_for_the_tier(session):
    # effective = percent_off + points_per_yuan × multiplier × POINT_VALUE_FEN (1)
    shop(session, "甲店", percent_off=12, points_per_yuan=2)  # std 14, gold 15
    shop(session, "乙店", percent_off=15, points_per_yuan=0)  # std 15, gold 15
    shop(session, "丙店", percent_off=10, points_per_yuan=3)  # std 13, gold 14.5, dia 16
    shop(session, "丁店", percent_off="12.5", points_per_yuan=1)  # std 13.5, gold 14
    session.commit()
    assert rank(session, "standard") == ["乙店", "甲店", "丁店", "丙店"]
    # gold: 甲 and 乙 tie at 15 (same avg_spend): code point order, 丙 14.5, 丁 14
    assert rank(session, "gold") == ["乙店", "甲店", "丙店", "丁店"]
    # diamond: 丙 and 甲 tie at 16 (丙 U+4E19 before 甲 U+7532), 乙 15, 丁 14.5
    assert rank(session, "diamond") == ["丙店", "甲店", "乙店", "丁店"]


def test_ties_go_to_the_lower_typical_spend_then_name_by_code_point(session):
    shop(session, "阿三店", avg_spend=9000)  # 阿 U+963F
    shop(session, "张三店", avg_spend=9000)  # 张 U+5F20: before 阿 by code point
    shop(session, "Zoo店", avg_spend=9000)  # ASCII before any Chinese
    shop(session, "zoo店", avg_spend=9000)  # lower case after upper case
    shop(session, "贵店", avg_spend=1000, percent_off=5)  # cheaper but gives back less
    shop(session, "平价店", avg_spend=3000)
    session.commit()
    assert rank(session) == ["平价店", "Zoo店", "zoo店", "张三店", "阿三店", "贵店"]


def test_last_tie_goes_to_the_offer_id(session):
    merchant, first = shop(session, "双胞店")
    second = create_offer(session, merchant, title="会员优惠", percent_off=10)
    session.commit()
    _, hits = search_offers(session, SearchQuery(q="双胞"))
    assert [hit.offer.id for hit in hits] == sorted([first.id, second.id])


def test_a_tier_override_prices_that_tier_only(session):
    shop(session, "金卡店", percent_off=10, tier_percent_off={"gold": 20}, points_per_yuan=0)
    shop(session, "银卡店", percent_off=15, tier_percent_off={"silver": 5}, points_per_yuan=0)
    session.commit()

    def terms(tier):
        return [(hit.merchant.name, hit.offer.percent_off, hit.offer.label)
                for hit in search_offers(session, SearchQuery(q="店", tier=tier))[1]]

    assert terms("standard") == [("银卡店", 15, "8.5折"), ("金卡店", 10, "9折")]
    assert terms("silver") == [("金卡店", 10, "9折"), ("银卡店", 5, "9.5折")]
    assert terms("gold") == [("金卡店", 20, "8折"), ("银卡店", 15, "8.5折")]
    assert terms("diamond") == [("银卡店", 15, "8.5折"), ("金卡店", 10, "9折")]


def test_the_tier_multipliers_and_point_value_come_from_configuration(app, session):
    shop(session, "折扣店", percent_off=20, points_per_yuan=0)
    shop(session, "积分店", percent_off=0, points_per_yuan=5)
    session.commit()
    assert rank(session, "diamond") == ["折扣店", "积分店"]  # 20 against 5 × 2 × 1 = 10
    multipliers = dict(app.config.get("TIER_MULTIPLIERS") or {})
    point_value = app.config["POINT_VALUE_FEN"]
    try:
        app.config["POINT_VALUE_FEN"] = 3
        hits = search_offers(session, SearchQuery(q="店", tier="diamond"))[1]
        assert [(h.merchant.name, h.effective_percent) for h in hits] == [
            ("积分店", Decimal("30.00")), ("折扣店", Decimal("20.00"))]
        app.config["POINT_VALUE_FEN"] = 1
        app.config["TIER_MULTIPLIERS"] = {"standard": Decimal("1.0"), "silver": Decimal("1.2"),
                                          "gold": Decimal("1.5"), "diamond": Decimal("4.25")}
        hits = search_offers(session, SearchQuery(q="店", tier="diamond"))[1]
        assert [(h.merchant.name, h.effective_percent) for h in hits] == [
            ("积分店", Decimal("21.25")), ("折扣店", Decimal("20.00"))]
        assert hits[0].script.endswith("每消费1元积21.25分。")
    finally:
        app.config["POINT_VALUE_FEN"] = point_value
        if multipliers:
            app.config["TIER_MULTIPLIERS"] = multipliers
        else:
            app.config.pop("TIER_MULTIPLIERS", None)


@pytest.mark.parametrize("tier", ["standard", "silver", "gold", "diamond"])
def test_every_page_is_in_the_ranking_order_the_hits_report(session, tier):
    rng = random.Random(7)
    for i in range(40):
        shop(session, f"排序店{rng.choice('甲乙丙丁')}{i % 3}", avg_spend=rng.choice([1000, 2000]),
             percent_off=rng.choice(["0", "5", "8.8", "10", "12.5"]),
             points_per_yuan=rng.choice([0, 1, 2, 3]),
             tier_percent_off=rng.choice([{}, {"gold": 15}, {"silver": "7.25"}]))
    session.commit()
    for query in (SearchQuery(q="排序", tier=tier, limit=100),
                  SearchQuery(category="餐饮", tier=tier, limit=100)):
        total, hits = search_offers(session, query)
        keys = [(-hit.effective_percent, hit.merchant.avg_spend, hit.merchant.name,
                 hit.offer.id) for hit in hits]
        assert total == len(hits) == 40 and keys == sorted(keys)  # ranked as the hits say
        pages = [search_offers(session, SearchQuery(q=query.q, category=query.category,
                                                    tier=tier, limit=7, offset=offset))
                 for offset in range(0, 42, 7)]
        assert {page_total for page_total, _ in pages} == {40}
        assert [hit.offer.id for _, page in pages for hit in page] == [h.offer.id for h in hits]


def test_the_contract_example(session):
    shop(session, "老王火锅", percent_off=12, points_per_yuan=2, avg_spend=8000)
    session.commit()
    hit = search_offers(session, SearchQuery(q="老王", tier="gold"))[1][0]
    assert hit.effective_percent == Decimal("15.00")
    assert hit.offer.label == "8.8折" and hit.offer.percent_off == 12
    assert hit.script == "持V卡到老王火锅消费可享8.8折，每消费1元积3分。"


# --- filters and pages ---------------------------------------------------------------------


def test_filters_by_category_and_district(session, town):
    assert found(session, "", category="餐饮") == {"老王火锅", "KFC肯德基(五马店)", "小李烧烤"}
    assert found(session, "", district="龙湾区") == {"丽人美发"}
    assert found(session, "", category="酒店", district="乐清市") == {"乐清大酒店"}
    assert found(session, "", category="酒店", district="鹿城区") == set()
    assert found(session, "wuma", category="餐饮") == {"老王火锅", "KFC肯德基(五马店)"}


def test_pages_are_disjoint_slices_of_one_order_with_the_same_total(session):
    for i in range(25):
        shop(session, f"分页店{i:02d}", percent_off=i % 7, avg_spend=1000 + i)
    session.commit()
    total, everything = search_offers(session, SearchQuery(q="分页", limit=100))
    assert total == 25
    pages = []
    for offset in (0, 10, 20):
        page_total, hits = search_offers(session, SearchQuery(q="分页", limit=10, offset=offset))
        assert page_total == 25
        pages += hits
    assert [hit.offer.id for hit in pages] == [hit.offer.id for hit in everything]
    assert search_offers(session, SearchQuery(q="分页", limit=10, offset=30)) == (25, [])
    # a last page that is exactly full, the whole list on one page, one row past the end
    assert search_offers(session, SearchQuery(q="分页", limit=5, offset=20))[0] == 25
    assert search_offers(session, SearchQuery(q="分页", limit=25))[0] == 25
    assert search_offers(session, SearchQuery(q="分页", limit=10, offset=25)) == (25, [])
    # the same through a category list, which counts only when its page is full
    by_list = [hit.offer.id for offset in (0, 10, 20)
               for hit in search_offers(session, SearchQuery(category="餐饮", limit=10,
                                                             offset=offset))[1]]
    assert by_list == [hit.offer.id for hit in everything]
    for limit, offset in ((10, 0), (10, 20), (5, 20), (25, 0), (10, 25), (10, 30)):
        assert search_offers(session, SearchQuery(category="餐饮", limit=limit,
                                                  offset=offset))[0] == 25
    assert search_offers(session, SearchQuery(category="酒店")) == (0, [])
    assert search_offers(session, SearchQuery(q="没有这家", offset=0)) == (0, [])


# --- the documents follow every write ------------------------------------------------------


def test_renaming_a_merchant_or_editing_an_offer_is_searchable_at_once(session):
    merchant, offer = shop(session, "老王火锅")
    session.commit()
    merchant.name = "老张火锅"  # as a merchants service would: flush, then announce it
    session.flush()
    signals.merchant_changed.send(session, merchant_ids=[merchant.id])
    session.commit()
    assert found(session, "laozhang") == {"老张火锅"} and found(session, "老王") == set()
    update_offer(session, offer, title="周末特惠", percent_off=15, points_per_yuan=1,
                 tier_percent_off={"gold": 25}, valid_from=None, valid_until=None,
                 description="", active=True, actor="staff:test")
    session.commit()
    hit = search_offers(session, SearchQuery(q="zhoumo", tier="gold"))[1][0]
    assert hit.offer.percent_off == 25
    update_offer(session, offer, title="周末特惠", percent_off=15, points_per_yuan=1,
                 tier_percent_off={}, valid_from=None, valid_until=None, description="",
                 active=True, actor="staff:test")
    session.commit()
    assert search_offers(session, SearchQuery(q="zhoumo", tier="gold"))[1][0].offer.percent_off \
        == 15
    update_offer(session, offer, title="周末特惠", percent_off=15, points_per_yuan=1,
                 tier_percent_off={}, valid_from=None, valid_until=None, description="",
                 active=False, actor="staff:test")
    session.commit()
    assert found(session, "zhoumo") == set()


def test_a_rolled_back_change_leaves_the_documents_as_they_were(session):
    merchant, _ = shop(session, "老王火锅")
    session.commit()
    merchant.name = "老张火锅"
    session.flush()
    signals.merchant_changed.send(session, merchant_ids=[merchant.id])
    assert found(session, "老张") == {"老张火锅"}  # refreshed in the same transaction
    session.rollback()
    assert found(session, "老王") == {"老王火锅"}


def test_staff_review_lists_and_unlists_a_merchant(session):
    from valliance.staff.services import create_staff_user

    staff = create_staff_user(session, username="reviewer", name="审核员",
                              password="Correct-horse-9", roles=("admin",))
    merchant, _ = shop(session, "新开火锅", approved=False)
    session.commit()
    assert found(session, "新开") == set()
    onboarding.review_merchant(session, merchant.id, "approve", staff_id=staff.id)
    session.commit()
    assert found(session, "新开") == {"新开火锅"}
    onboarding.review_merchant(session, merchant.id, "suspend", staff_id=staff.id, note="整改")
    session.commit()
    assert found(session, "新开") == set()


def test_imported_merchants_are_searchable_and_reimports_update_them(session):
    row = {"name": "瓯江烧烤", "category": "餐饮", "district": "鹿城区", "address": "江滨路1号",
           "phone": "", "avg_spend": "6000", "title": "会员9折", "percent_off": "10",
           "points_per_yuan": "1"}
    import_merchants(session, [(2, row)])
    session.commit()
    assert found(session, "oujiang") == {"瓯江烧烤"}
    import_merchants(session, [(2, {**row, "address": "望江路2号", "percent_off": "20"})])
    session.commit()
    hit = search_offers(session, SearchQuery(q="wangjiang"))[1][0]
    assert hit.merchant.address == "望江路2号" and hit.offer.percent_off == 20
    assert found(session, "江滨") == set()


def test_reindex_rebuilds_what_a_change_behind_the_app_left_stale(session):
    merchant, _ = shop(session, "老王火锅")
    session.commit()
    session.execute(Merchant.__table__.update().values(name="老李火锅"))  # announced by no one
    session.execute(SearchDocument.__table__.delete())
    assert found(session, "火锅") == set()
    assert reindex_all(session) == 1
    session.commit()
    assert found(session, "laoli") == {"老李火锅"}


def test_every_offer_has_one_document(session, town):
    offers = session.query(Offer).count()
    assert session.query(SearchDocument).count() == offers == 5


def test_flask_directory_reindex_rebuilds_every_document(app, session, town):
    session.execute(SearchDocument.__table__.delete())
    session.commit()
    result = app.test_cli_runner().invoke(args=["directory", "reindex", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["documents"] == 5
    assert found(session, "huoguo") == {"老王火锅"}


def test_lists_and_searches_rank_by_the_multipliers_in_force(app, session, monkeypatch):
    for i in range(12):
        shop(session, f"排序店{i:02d}", percent_off=i % 4, points_per_yuan=i % 3,
             avg_spend=1000 * (i % 5))
    session.commit()

    def ranked(query: SearchQuery) -> list[tuple]:
        hits = search_offers(session, query)[1]
        keys = [(-h.effective_percent, h.merchant.avg_spend, h.merchant.name, h.offer.id)
                for h in hits]
        assert len(keys) == 12 and keys == sorted(keys)  # ranked as the hits say
        return keys

    before = ranked(SearchQuery(category="餐饮", tier="gold", limit=100))
    monkeypatch.setitem(app.config["TIER_MULTIPLIERS"], "gold", Decimal("1.75"))
    after = ranked(SearchQuery(category="餐饮", tier="gold", limit=100))
    assert after != before  # the new multiplier, at once: nothing to rebuild
    assert ranked(SearchQuery(q="排序", tier="gold", limit=100)) == after
    assert ranked(SearchQuery(tier="gold", limit=100)) == after  # every offer


@pytest.mark.postgres_only
def test_no_index_holds_the_configuration(session):
    """Ranking follows the multipliers and point value in force without rebuilding anything:
    no index of the documents is made for one setting (migration 0015 dropped those)."""
    shop(session, "索引店")
    session.commit()
    made = session.scalars(text(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'directory_entries'")).all()
    assert made and not [index for index in made if "points_per_yuan *" in index]


def _migration(name: str):
    path = Path(__file__).parents[2] / f"migrations/versions/{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_the_migrations_index_the_offers_already_there(session, town):
    session.execute(SearchDocument.__table__.delete())
    session.execute(LetterGram.__table__.delete())
    _migration("0006_directory_search").index_existing_offers(session.connection())
    assert session.query(LetterGram).count() == 0  # made by 0010, five letters long
    _migration("0010_directory_five_letter_grams").fill_letter_grams(session.connection())
    session.commit()
    assert found(session, "huoguo") == {"老王火锅"}
    assert found(session, "lwhg") == {"老王火锅"}
    assert found(session, "锅") == {"老王火锅"}
    assert found(session, "huaguo") == {"老王火锅"}  # the typo dictionary was filled too

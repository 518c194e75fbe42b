"""Search keys: documents made at write time, query terms, typo spellings, the read-out script."""

import json
import random
import re
from decimal import Decimal

import pypinyin
import pytest

from valliance.directory import terms as keys
from valliance.directory.search import HitMerchant, HitOffer, SearchHit, offer_json, script


@pytest.mark.parametrize("text, full, initials", [
    ("老王火锅", "laowanghuoguo", "lwhg"),
    ("kfc肯德基", "kfckendeji", "kfckdj"),
    ("温州市鹿城区五马街88号", "wenzhoushiluchengquwumajie88hao", "wzslcqwmj88h"),
    ("重庆小面", "chongqingxiaomian", "cqxm"),  # 重 in a phrase: chong, not zhong
    ("乐清市", "yueqingshi", "yqs"),  # the Wenzhou city is yue qing
    ("招商银行", "zhaoshangyinhang", "zsyh"),  # 行 in 银行 is hang
    ("绿茶", "lvcha", "lc"),  # ü typed as v
    ("星巴克(五马店)", "xingbakewumadian", "xbkwmd"),  # punctuation dropped
])
def test_pinyin_keys_are_full_pinyin_and_initials(text, full, initials):
    assert keys.pinyin_keys(text) == (full, initials)


def test_converting_word_by_word_gives_what_pypinyin_gives_for_the_whole_text():
    rng = random.Random(5)
    chars = "老王火锅店烧烤咖啡酒店美发洗车鹿城区龙湾瓯海乐清瑞安五马街道重庆长沙行银朝阳kfc 88"
    for _ in range(2000):
        text = keys.normalize("".join(rng.choice(chars) for _ in range(rng.randint(1, 20))))
        expected = [run for item in pypinyin.lazy_pinyin(text)
                    for run in re.findall(r"[^\W_]+", item)]
        assert [word for word, _ in keys.syllables(text)] == expected, text


def test_normalize_folds_full_width_case_and_spaces():
    assert keys.normalize("  ＫＦＣ　肯德基（五马） ") == "kfc 肯德基(五马)"
    assert keys.normalize("LÜ") == "lv"


def test_the_keys_hold_every_field_as_written_in_pinyin_and_in_initials():
    found = keys.offer_keys("老王火锅", "会员8.8折", "餐饮", "五马街1号")
    assert found.han == "老王火锅 餐饮 五马街1号 会员8.8折"
    assert found.spelled.split(" ") == ["laowanghuoguo", "lwhg", "canyin", "cy", "wumajie1hao",
                                        "wmj1h", "huiyuan88zhe", "hy88z"]
    assert found.initials == "lwhg cy wmj1h hy88z"


def test_a_word_the_merchant_says_twice_is_kept_once():
    found = keys.offer_keys("KFC", "", "餐饮", "KFC")
    assert found.han == "kfc 餐饮" and found.spelled == "kfc canyin cy"


def test_a_surname_reading_is_indexed_besides_the_everyday_one():
    found = keys.offer_keys("曾记粥铺", "优惠", "餐饮", "")
    assert {"zengjizhoupu", "zjzp", "cengjizhoupu", "cjzp"} <= set(found.spelled.split(" "))
    assert {"zjzp", "cjzp"} <= set(found.initials.split(" "))


def test_grams_are_the_short_substrings_of_the_written_words_and_the_initials():
    found = keys.offer_keys("火锅(五)", "", "", "")
    assert set(found.grams.split(" ")) == {
        "火", "锅", "火锅", "五", "h", "g", "w", "hg", "gw"}  # not across the bracket


@pytest.mark.parametrize("query, terms", [
    ("火锅", ["火锅"]),
    ("KFC肯德基", ["kfc", "肯德基"]),
    ("ＫＦＣ 肯德基", ["kfc", "肯德基"]),
    ("老王  火锅", ["老王", "火锅"]),
    ("88号", ["88号"]),
    ("lao王hg", ["lao", "王", "hg"]),
    ("火锅%_\\*?[", ["火锅"]),  # LIKE and GLOB metacharacters never reach SQL
    ("  ", []),
    ("%", []),
])
def test_queries_split_into_terms(query, terms):
    assert [term.text for term in keys.query_terms(query)] == terms


def test_only_pinyin_like_terms_of_five_letters_or_more_forgive_a_typo():
    def tolerant(text):
        return keys.query_terms(text)[0].typo_tolerant

    assert tolerant("huaguo") and tolerant("hgtsd")
    assert not tolerant("huag")  # four letters
    assert not tolerant("huoguo1")  # not only letters
    assert not tolerant("火锅火锅火锅")


def test_one_typo_away_is_one_letter_wrong_missing_or_extra():
    near = keys.one_typo_away("huaguo")
    assert {"huaguo", "huoguo", "huguo", "huaaguo", "xhuaguo"} <= near
    assert "huoguu" not in near  # two letters wrong
    assert "huagou" not in near  # a swap is two edits
    assert all(len(spelling) in (5, 6, 7) for spelling in near)


def test_a_typo_spelling_has_five_letters_or_more():
    near = keys.one_typo_away("xiche")
    assert "xiche" in near and "xieche" in near and "xuche" in near
    assert not {"iche", "xich", "xche"} & near


def test_letter_grams_are_the_five_letter_sequences_of_letter_runs():
    assert keys.letter_grams("huoguo 火锅 lwhgd abcd 8a") == {"huogu", "uoguo", "lwhgd"}


def test_typo_candidates_carry_the_grams_each_spelling_is_made_of():
    candidates, wanted = keys.typo_candidates("huaguo")
    assert dict(candidates)["huoguo"] == {"huogu", "uoguo"}
    assert {spelling for spelling, _ in candidates} == keys.one_typo_away("huaguo")
    assert list(wanted) == sorted(set().union(*(grams for _, grams in candidates)))
    assert keys.typo_candidates("huaguo") is keys.typo_candidates("huaguo")  # made once


def test_shortest_spellings_drop_any_spelling_that_contains_another():
    assert keys.shortest_spellings({"huoguo", "uoguo", "huaguo", "huagu"}) == ["huagu", "uoguo"]


@pytest.mark.parametrize("percent, points, multiplier, expected", [
    ("12", 2, "1.5", "持V卡到老王火锅消费可享8.8折，每消费1元积3分。"),  # contract §6
    ("12.5", 1, "1.2", "持V卡到老王火锅消费可享8.75折，每消费1元积1.2分。"),
    ("10", 1, "1.0", "持V卡到老王火锅消费可享9折，每消费1元积1分。"),
    ("0", 5, "2.0", "持V卡到老王火锅消费，每消费1元积10分。"),
    ("20", 0, "1.5", "持V卡到老王火锅消费可享8折。"),
    ("0", 0, "1.0", "持V卡到老王火锅消费暂无折扣和积分。"),
])
def test_the_script_says_the_discount_and_the_tiers_points(percent, points, multiplier,
                                                           expected):
    assert script("老王火锅", Decimal(percent), points, Decimal(multiplier)) == expected


def test_offer_json_renders_exact_numbers_as_the_contract_shows_them():
    hit = SearchHit(
        HitMerchant("mer_1", "老王火锅", "餐饮", "鹿城区", "五马街1号", "0577-1", 8000),
        HitOffer("off_1", "会员折扣", Decimal("12.50"), "8.75折", 2, None),
        Decimal("15.50"), "…")
    body = json.dumps(offer_json(hit), ensure_ascii=False)
    assert '"percent_off": 12.5' in body and '"effective_percent": 15.5' in body
    whole = SearchHit(hit.merchant, HitOffer("off_1", "会员折扣", Decimal("12.00"), "8.8折", 2,
                                             None), Decimal("15.00"), "…")
    assert offer_json(whole)["offer"]["percent_off"] == 12
    assert json.dumps(offer_json(whole)["effective_percent"]) == "15.0"
    assert offer_json(whole)["merchant"] == {
        "id": "mer_1", "name": "老王火锅", "category": "餐饮", "district": "鹿城区",
        "address": "五马街1号", "phone": "0577-1", "avg_spend": 8000}

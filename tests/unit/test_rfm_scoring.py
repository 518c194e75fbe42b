"""The RFM scoring core and the value bands, on hand-computed tables (no database)."""

from valliance.marketing.services.pyramid import band_of
from valliance.marketing.services.rfm import Activity, cell_of, quintiles, score


def test_quintiles_of_ten_distinct_values_pair_up():
    # n = 10: b strictly lower values → 1 + floor(5b/10) = 1,1,2,2,3,3,4,4,5,5
    assert quintiles([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintiles([100, 90, 80, 70, 60, 50, 40, 30, 20, 10]) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_equal_values_score_alike_from_the_first_of_them():
    # n = 5: the three 7s have 0 below → 1; 9 has 3 below → 1 + 15//5 = 4; 12 → 1 + 20//5 = 5
    assert quintiles([7, 7, 9, 7, 12]) == [1, 1, 4, 1, 5]
    assert quintiles([5, 5, 5]) == [1, 1, 1]
    assert quintiles([3]) == [1]
    assert quintiles([]) == []


def test_cells_are_high_from_three():
    assert cell_of(3, 3, 3) == "important_value"
    assert cell_of(5, 2, 4) == "important_develop"
    assert cell_of(2, 5, 3) == "important_keep"
    assert cell_of(1, 1, 5) == "important_retain"
    assert cell_of(4, 4, 2) == "general_value"
    assert cell_of(3, 1, 1) == "general_develop"
    assert cell_of(2, 3, 2) == "general_keep"
    assert cell_of(2, 2, 2) == "general_retain"


# ten members, hand-scored: (id, recency days, frequency, fen) → (R, F, M, cell)
TABLE = [
    (("a", 1, 20, 500_000), (5, 5, 5, "important_value")),
    (("b", 3, 2, 400_000), (5, 2, 5, "important_develop")),
    (("c", 200, 12, 300_000), (2, 4, 4, "important_keep")),
    (("d", 300, 1, 250_000), (1, 1, 4, "important_retain")),
    (("e", 10, 12, 1_000), (4, 4, 1, "general_value")),
    (("f", 30, 1, 2_000), (4, 1, 1, "general_develop")),
    (("g", 100, 30, 10_000), (3, 5, 2, "general_value")),
    (("h", 250, 5, 20_000), (2, 3, 2, "general_keep")),
    (("i", 360, 2, 30_000), (1, 2, 3, "important_retain")),
    (("j", 100, 5, 40_000), (3, 3, 3, "important_value")),
]


def test_score_of_a_hand_computed_table():
    # R ranks days, fewest best: 360,300,250,200,100,100,30,10,3,1 → i,d 1; h,c 2; g,j 3
    # (both 100s have 4 members strictly less recent: 1 + 5*4//10 = 3); f,e 4; b,a 5.
    # F: 1,1,2,2,5,5,12,12,20,30 → d,f 1; b,i 2; h,j 3; c,e 4 (6 below → 4); a 5
    # (8 below), g 5. M ascending: e 1k, f 2k, g 10k, h 20k, i 30k, j 40k, d 250k, c 300k,
    # b 400k, a 500k → 1,1,2,2,3,3,4,4,5,5.
    rows = [Activity(*member) for member, _ in TABLE]
    got = {s.member_id: (s.r, s.f, s.m, s.cell) for s in score(rows)}
    expected = {member[0]: scores for member, scores in TABLE}
    assert got == expected


def test_bands_rank_spend_top_down_with_ties_alike():
    spend = list(range(1, 101))  # 100 members: b = how many spent more
    bands = band_of(spend)
    assert bands[99] == "top1"  # b = 0
    assert bands[95:99] == ["next4"] * 4  # b = 1..4
    assert bands[80:95] == ["next15"] * 15
    assert set(bands[:80]) == {"rest"}
    assert band_of([5, 5, 1]) == ["top1", "top1", "rest"]
    assert band_of([]) == []

import pytest

from valliance.points.rules import OpenLot, collectable, split_reversal, take_from_lots


@pytest.mark.parametrize(
    ("lots", "points", "expected"),
    [
        ([(1, 10), (2, 5)], 12, [(1, 10), (2, 2)]),
        ([(1, 10), (2, 5)], 10, [(1, 10)]),
        ([(1, 10), (2, 5)], 15, [(1, 10), (2, 5)]),
        ([(1, 0), (2, 5)], 3, [(2, 3)]),
        ([(1, 10)], 0, []),
    ],
)
def test_take_from_lots_uses_lots_in_order(lots, points, expected):
    assert take_from_lots([OpenLot(*lot) for lot in lots], points) == expected


def test_take_from_lots_refuses_more_than_the_lots_hold():
    with pytest.raises(ValueError):
        take_from_lots([OpenLot(1, 3)], 4)


@pytest.mark.parametrize(
    ("points", "available", "expected"),
    [(60, 100, (60, 0)), (60, 30, (30, 30)), (60, 0, (0, 60)), (60, 60, (60, 0))],
)
def test_split_reversal_never_takes_more_than_the_balance(points, available, expected):
    assert split_reversal(points, available) == expected


@pytest.mark.parametrize(("credit", "owed", "expected"), [(10, 0, 0), (10, 4, 4), (3, 10, 3)])
def test_collectable(credit, owed, expected):
    assert collectable(credit, owed) == expected

"""A daily campaign's once-a-year rule reads calendar days (send_rules.year_before)."""

from valliance.marketing.services.send_rules import year_before


def test_the_same_day_a_year_before():
    assert year_before("2027-12-07") == "2026-12-07"
    assert year_before("2028-02-29") == "2027-02-28"  # a leap day's year before
    assert year_before("2028-03-01") == "2027-03-01"

"""Segments by birthday (issue #17): `birthday_month` (1–12) and `birthday_today` (today in
Asia/Shanghai, from the `now` given; February 29 counts on February 28 in other years), on
hand-made members, in the service, `flask segments preview` and the builder page."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_backoffice_roles import signed_in
from tests.api.test_merchant_apply import csrf_of
from valliance.db import SHANGHAI
from valliance.extensions import db
from valliance.marketing.services.segments import members_of, parse_filters, preview
from valliance.members.services import enroll_member
from valliance.members.services.birthday import set_birthday
from valliance.members.services.marketing_consent import set_marketing_opt_in
from valliance.staff import services as staff_services

#: key → (month, day) or None (no birthday given)
BIRTHDAYS = {"五月": (5, 12), "闰日": (2, 29), "二八": (2, 28), "三一": (3, 1),
             "岁末": (12, 31), "没填": None}


def _make(session) -> dict[str, str]:
    ids = {}
    for n, (key, birthday) in enumerate(BIRTHDAYS.items()):
        member = enroll_member(session, phone=f"1380000{n:04d}", name=key)
        if birthday:
            set_birthday(session, member, *birthday, actor="test")
        ids[key] = member.id
    return ids


@pytest.fixture
def people(session) -> dict[str, str]:
    ids = _make(session)
    session.commit()
    return ids


def named(session, people, now: datetime, **fields) -> set[str]:
    """Who the filters name at `now`, checked against members_of and the count."""
    filters = parse_filters(fields)
    ids = set(session.scalars(members_of(session, filters, now=now)))
    result = preview(session, filters, sample=20, now=now)
    assert result.count == len(ids)
    by_id = {member_id: key for key, member_id in people.items()}
    assert {m.name for m in result.sample} == {by_id[i] for i in ids}
    return {by_id[i] for i in ids}


def shanghai(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = shanghai(2026, 7, 1)


@pytest.mark.parametrize(("month", "expected"), [
    ("5", {"五月"}), (2, {"闰日", "二八"}), ("12", {"岁末"}), ("7", set()), ("", None)])
def test_birthday_month_names_the_members_born_in_that_month(session, people, month, expected):
    everyone = set(BIRTHDAYS)
    assert named(session, people, NOW, birthday_month=month) == (
        everyone if expected is None else expected)


@pytest.mark.parametrize(("now", "expected"), [
    (shanghai(2026, 5, 12), {"五月"}),
    (shanghai(2027, 2, 28), {"闰日", "二八"}),  # not a leap year: 2/29 counts on 2/28
    (shanghai(2028, 2, 28), {"二八"}),  # a leap year: 2/29 has its own day
    (shanghai(2028, 2, 29), {"闰日"}),
    (shanghai(2027, 3, 1), {"三一"}),  # and never on 3/1
    (shanghai(2026, 12, 31, 23, 59), {"岁末"}),
    (shanghai(2026, 7, 1), set())])
def test_birthday_today_names_the_members_whose_birthday_it_is(session, people, now, expected):
    assert named(session, people, now, birthday_today="1") == expected


def test_today_is_the_day_in_shanghai_not_in_utc(session, people):
    # 2026-05-11 16:30 UTC is already 5/12 00:30 in Shanghai; 5/12 16:00 UTC is 5/13 there
    assert named(session, people, datetime(2026, 5, 11, 16, 30, tzinfo=UTC),
                 birthday_today=True) == {"五月"}
    assert named(session, people, datetime(2026, 5, 12, 15, 59, tzinfo=UTC),
                 birthday_today=True) == {"五月"}
    assert named(session, people, datetime(2026, 5, 12, 16, 0, tzinfo=UTC),
                 birthday_today=True) == set()


def test_birthday_filters_combine_with_the_others(session, people):
    from valliance.members.models import Member
    set_marketing_opt_in(session, session.get(Member, people["闰日"]), True, actor="t", via="t")
    session.commit()
    assert named(session, people, shanghai(2027, 2, 28), birthday_today=True,
                 opted_in=True) == {"闰日"}
    assert named(session, people, NOW, birthday_month=2, birthday_today=True) == set()
    assert named(session, people, shanghai(2027, 2, 28), birthday_month=2,
                 birthday_today=True) == {"闰日", "二八"}


def test_birthday_filters_round_trip_through_a_saved_dict():
    filters = parse_filters({"birthday_month": "05", "birthday_today": "on"})
    assert filters.birthday_month == 5 and filters.birthday_today is True
    assert filters.to_dict() == {"birthday_month": 5, "birthday_today": True}
    assert parse_filters(filters.to_dict()) == filters
    assert parse_filters({"birthday_today": "0"}).to_dict() == {}


def run(app, *args):
    return app.test_cli_runner().invoke(args=["segments", "preview", *args])


def test_cli_preview_by_birthday_month_and_today(app, people):
    assert json.loads(run(app, "--birthday-month", "2", "--json").stdout) == {"count": 2}
    assert json.loads(run(app, "--birthday-month", "7", "--json").stdout) == {"count": 0}
    human = run(app, "--birthday-month", "5")
    assert human.exit_code == 0 and "五月" in human.stdout
    today = datetime.now(SHANGHAI).date()
    with app.app_context():
        from valliance.members.models import Member
        member = db.session.get(Member, people["没填"])
        set_birthday(db.session, member, today.month, today.day, actor="test")
        db.session.commit()
    answer = json.loads(run(app, "--birthday-today", "--json").stdout)
    if datetime.now(SHANGHAI).date() == today:  # midnight did not pass meanwhile
        expected = 1 + sum(1 for b in BIRTHDAYS.values() if b == (today.month, today.day))
        if (today.month, today.day) == (2, 28) and today.year % 4:
            expected += 1
        assert answer == {"count": expected}
    assert "--birthday-month" in run(app, "--help").stdout


@pytest.fixture
def marketer(app):
    with app.app_context():
        staff_services.create_staff_user(db.session, username="mkt", name="市场小王",
                                         password="secret123", roles=("marketing",))
        _make(db.session)
        db.session.commit()
    return signed_in(app, "/staff/login", {"username": "mkt", "password": "secret123"})


def test_the_builder_filters_by_birthday_and_describes_it(app, marketer):
    url = "/staff/marketing/segments/new"
    page = marketer.get(url).get_data(as_text=True)
    assert 'name="birthday_month"' in page and 'name="birthday_today"' in page
    assert "尚未登记生日" not in page
    result = marketer.get(url + "?birthday_month=2&preview=1").get_data(as_text=True)
    assert 'data-count="2"' in result and '<option value="2" selected>2月</option>' in result
    assert 'name="birthday_month" value="2"' in result  # carried to the save form
    wrong = marketer.get(url + "?birthday_month=13&preview=1").get_data(as_text=True)
    assert "月份须在 1 到 12 之间" in wrong and "data-count" not in wrong
    token = csrf_of(marketer.get(url + "?birthday_month=2&preview=1").get_data(as_text=True))
    saved = marketer.post(url, data={"name": "二月寿星", "birthday_month": "2",
                                      "birthday_today": "1", "csrf_token": token})
    assert saved.status_code == 302
    listing = marketer.get("/staff/marketing/segments").get_data(as_text=True)
    assert "生日月份" in listing and "2月" in listing and "今天过生日" in listing
    english = marketer.get("/staff/marketing/segments?lang=en").get_data(as_text=True)
    assert "Birthday month" in english and "Feb" in english


def test_a_day_later_is_a_day_later(session, people):
    start = shanghai(2027, 2, 27)
    seen = [named(session, people, start + timedelta(days=d), birthday_today=True)
            for d in range(3)]
    assert seen == [set(), {"闰日", "二八"}, {"三一"}]

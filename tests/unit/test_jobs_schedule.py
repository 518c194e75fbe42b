"""The daily schedule: due from its time of day (Asia/Shanghai) on, once a day per claim."""

from datetime import UTC, date, datetime

import pytest

from valliance import jobs
from valliance.jobs import schedule


@pytest.fixture
def nightly():
    saved, every = dict(jobs.SCHEDULE), dict(jobs.registry.EVERY)
    jobs.SCHEDULE.clear()
    jobs.registry.EVERY.clear()
    jobs.register("test.nightly", lambda session: None, label="test", daily_at="03:00")
    yield
    jobs.unregister("test.nightly")
    jobs.SCHEDULE.update(saved)
    jobs.registry.EVERY.update(every)


def test_a_job_is_due_from_its_time_in_shanghai(nightly):
    # 18:59 UTC is 02:59 in Shanghai the next day; 19:00 UTC is 03:00
    assert schedule.due(datetime(2026, 12, 6, 18, 59, tzinfo=UTC)) == []
    assert schedule.due(datetime(2026, 12, 6, 19, 0, tzinfo=UTC)) == [
        ("test.nightly", date(2026, 12, 7))]
    assert schedule.due(datetime(2026, 12, 7, 15, 59, tzinfo=UTC)) == [
        ("test.nightly", date(2026, 12, 7))]


def test_tick_enqueues_once_per_day_and_claim(nightly):
    claimed, enqueued = set(), []

    def claim(name, day):
        first = (name, day) not in claimed
        claimed.add((name, day))
        return first

    def enqueue(name, key):
        enqueued.append((name, key))

    late = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    assert schedule.tick(claim, enqueue, late) == ["test.nightly@2026-12-07"]
    assert schedule.tick(claim, enqueue, late) == []
    assert schedule.tick(claim, enqueue, datetime(2026, 12, 7, 19, 1, tzinfo=UTC)) == [
        "test.nightly@2026-12-08"]
    assert enqueued == [("test.nightly", "test.nightly@2026-12-07"),
                        ("test.nightly", "test.nightly@2026-12-08")]


def test_the_real_jobs_are_registered_nightly(app):
    assert {"ledger.expire", "backoffice.roll_up"} <= set(jobs.SCHEDULE)
    assert all(name in jobs.JOBS for name in jobs.SCHEDULE)


def test_an_interval_job_is_due_once_per_stretch_of_the_clock():
    jobs.register("test.often", lambda session: None, label="test", every_minutes=5)
    try:
        assert ("test.often", "2026-12-07T10:00") in schedule.due(
            datetime(2026, 12, 7, 10, 4, 59, tzinfo=UTC))
        assert ("test.often", "2026-12-07T10:05") in schedule.due(
            datetime(2026, 12, 7, 10, 5, tzinfo=UTC))
        claimed, enqueued = set(), []

        def claim(name, slot):
            first = (name, slot) not in claimed
            claimed.add((name, slot))
            return first

        def enqueue(name, key):
            enqueued.append(key)

        at = datetime(2026, 12, 7, 10, 6, tzinfo=UTC)
        schedule.tick(claim, enqueue, at)
        schedule.tick(claim, enqueue, at)
        assert enqueued.count("test.often@2026-12-07T10:05") == 1
        with pytest.raises(ValueError):
            jobs.register("test.often", lambda session: None, label="test", every_minutes=0)
    finally:
        jobs.unregister("test.often")
    assert "test.often" not in jobs.registry.EVERY

"""The runs the campaign pages and services queue: `engine` records enqueue_run (queuing is
the job queue's business, tested in tests/api/test_campaign_workers.py; here only whether a
run was asked for)."""

import pytest

from valliance.marketing.services import campaign_schedule


@pytest.fixture
def engine(monkeypatch) -> list[str]:
    """The campaign ids whose run was queued (enqueue_run), in order."""
    queued: list[str] = []
    monkeypatch.setattr(campaign_schedule, "enqueue_run",
                        lambda campaign_id, started_by="schedule": queued.append(campaign_id))
    return queued

"""The job queue for real: RQ's worker (`flask jobs worker --burst`) against Redis, and the
in-process queue without it; a job commits once, a failed attempt is rolled back and retried,
a key is never queued twice while queued, and the admin page shows and retries failed jobs."""

import uuid

import pytest
from sqlalchemy import func, select

from tests.api.test_merchant_apply import csrf_of, post_form
from tests.api.world import PASSWORD, STAFF_USERNAME, build
from tests.redis_server import REDIS_URL, answering_redis
from valliance import jobs
from valliance.audit import AuditEvent, record_event
from valliance.extensions import db, limiter
from valliance.jobs import EXTENSION
from valliance.jobs.redis_backend import RedisBackend

#: test.flaky fails this many more times before it succeeds
failures_left = {"n": 0}


def write_note(session, subject: str) -> str:
    record_event(session, actor="cli", action="jobs.test", subject=subject)
    return subject


def flaky(session, subject: str) -> str:
    record_event(session, actor="cli", action="jobs.test", subject=subject)  # rolled back
    if failures_left["n"] > 0:
        failures_left["n"] -= 1
        raise RuntimeError("not yet")
    return subject


@pytest.fixture(autouse=True)
def test_jobs():
    jobs.register("test.note", write_note, label="test", backoff=())
    jobs.register("test.flaky", flaky, label="test", backoff=(0, 0))
    jobs.register("test.later", flaky, label="test", backoff=(600,))
    yield
    jobs.unregister("test.later")
    jobs.unregister("test.note")
    jobs.unregister("test.flaky")


@pytest.fixture
def redis_jobs(app, monkeypatch):
    """The app's jobs on Redis (db 14 unless VALLIANCE_TEST_REDIS_URL), a queue of its own."""
    connection = answering_redis()
    backend = RedisBackend(REDIS_URL, f"valliance-test-{uuid.uuid4().hex[:10]}")
    monkeypatch.setitem(app.extensions, EXTENSION, backend)
    yield backend
    for key in connection.scan_iter(f"*{backend.queue.name}*"):
        connection.delete(key)


def notes(app, subject: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "jobs.test", AuditEvent.subject == subject))
        db.session.remove()
        return count


def run_worker(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output


def test_the_rq_worker_runs_a_job_and_commits(app, redis_jobs):
    with app.app_context():
        job_id = jobs.enqueue("test.note", "rq-1", key="note-1")
        assert [job.name for job in jobs.overview()["queued"]] == ["test.note"]
    assert notes(app, "rq-1") == 0
    run_worker(app)
    assert notes(app, "rq-1") == 1
    with app.app_context():
        assert all(not jobs.overview()[state] for state in ("queued", "started", "failed"))
        assert redis_jobs.queue.fetch_job(job_id).return_value() == "rq-1"


def test_the_same_key_is_queued_once(app, redis_jobs):
    with app.app_context():
        first = jobs.enqueue("test.note", "twice", key="same")
        assert jobs.enqueue("test.note", "twice", key="same") == first
        assert len(redis_jobs.queue) == 1
    run_worker(app)
    assert notes(app, "twice") == 1
    with app.app_context():  # done: the key may be used again
        jobs.enqueue("test.note", "twice", key="same")
    run_worker(app)
    assert notes(app, "twice") == 2


def test_a_failing_job_is_rolled_back_and_retried_by_the_worker(app, redis_jobs):
    failures_left["n"] = 2
    with app.app_context():
        jobs.enqueue("test.flaky", "retried", key="flaky")
    run_worker(app)
    assert failures_left["n"] == 0
    assert notes(app, "retried") == 1  # the two failed attempts wrote nothing


def test_a_failed_attempt_waits_for_its_retry_with_backoff(app, redis_jobs):
    failures_left["n"] = 1
    with app.app_context():
        jobs.enqueue("test.later", "later", key="later")
    run_worker(app)
    with app.app_context():
        waiting = jobs.overview()["scheduled"]
        assert [(job.name, job.error) for job in waiting] == [
            ("test.later", "RuntimeError: not yet")]
        # waiting for its retry, the key is still taken
        assert jobs.enqueue("test.later", "later", key="later") == waiting[0].id
    assert notes(app, "later") == 0


def test_a_job_failing_past_its_retries_is_failed_and_can_be_retried(app, redis_jobs):
    failures_left["n"] = 3
    with app.app_context():
        job_id = jobs.enqueue("test.flaky", "failed", key="flaky-3")
    run_worker(app)
    with app.app_context():
        failed = jobs.overview()["failed"]
        assert [(job.id, job.error) for job in failed] == [(job_id, "RuntimeError: not yet")]
        assert jobs.retry(job_id) is True
        assert jobs.retry("no-such-job") is False
    run_worker(app)
    assert notes(app, "failed") == 1


def test_without_redis_the_same_jobs_run_in_process(app):
    with app.app_context():
        backend = jobs.backend()
        assert backend.kind == "in_process"
        failures_left["n"] = 1
        key = jobs.enqueue("test.flaky", "here", key="in-process")
        assert jobs.enqueue("test.flaky", "here", key="in-process") == key
        assert backend.drain() == 2  # the failure, then its immediate retry
    assert notes(app, "here") == 1


def test_the_real_nightly_jobs_run(app, redis_jobs):
    build(app)
    with app.app_context():
        ids = [jobs.enqueue("ledger.expire", key="expire"),
               jobs.enqueue("backoffice.roll_up", key="roll-up"),
               jobs.enqueue("marketing.rfm_score", key="rfm")]
    run_worker(app)
    done = [redis_jobs.queue.fetch_job(job_id) for job_id in ids]
    assert [job.is_finished for job in done] == [True, True, True]
    assert done[0].return_value() == {"lots": 0, "points": 0}
    assert done[1].return_value()["days"] >= 0
    assert set(done[2].return_value()) == {"scored", "cells"}


def _admin(app):
    client = app.test_client()
    limiter.reset()
    assert post_form(client, "/staff/login", {"username": STAFF_USERNAME,
                                              "password": PASSWORD}).status_code == 302
    return client


def test_the_page_shows_failed_jobs_and_retries_them_audited(app):
    build(app)
    client = _admin(app)
    empty = client.get("/staff/jobs").get_data(as_text=True)
    assert "现在没有排队、运行中、等待或失败的任务。" in empty
    assert "积分到期" in empty  # the schedule
    failures_left["n"] = 5
    with app.app_context():
        backend = jobs.backend()
        key = jobs.enqueue("test.flaky", "page", key="page")
        backend.drain()
    html = client.get("/staff/jobs").get_data(as_text=True)
    assert 'data-state="failed"' in html and "RuntimeError: not yet" in html
    failures_left["n"] = 0
    response = client.post(f"/staff/jobs/{key}/retry",
                           data={"csrf_token": csrf_of(html), "reason": "网络恢复"})
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "jobs.retry")).one()
        assert (event.subject, event.reason) == (key, "网络恢复")
        db.session.remove()  # SQLite: let the job take the write lock
        assert backend.drain() == 1
    assert notes(app, "page") == 1
    missing = client.post("/staff/jobs/no-such-job/retry", data={"csrf_token": csrf_of(html)})
    assert missing.status_code == 404


def test_the_worker_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output


def test_a_job_registered_with_a_timeout_may_run_that_long_on_rq(app, redis_jobs):
    jobs.register("test.long", write_note, label="test", backoff=(), timeout=3600)
    try:
        with app.app_context():
            long_id = jobs.enqueue("test.long", "long", key="long")
            short_id = jobs.enqueue("test.note", "short", key="short")
        assert redis_jobs.queue.fetch_job(long_id).timeout == 3600
        assert redis_jobs.queue.fetch_job(short_id).timeout == redis_jobs.queue.DEFAULT_TIMEOUT
    finally:
        jobs.unregister("test.long")


def test_campaign_runs_and_deliveries_may_outlast_rqs_default_timeout(app):
    # a run of 100,000 members takes minutes (docs/benchmarks.md): RQ's 180 s stopped it
    for name in ("marketing.send_campaign", "marketing.release_deferred", "messaging.deliver"):
        assert jobs.JOBS[name].timeout >= 3600

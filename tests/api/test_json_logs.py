"""JSON logs (valliance/logs.py): one object a line with the request's id, route, status and
caller; one access line per request; nothing secret; the request id echoed and carried into
the jobs the request queues."""

import io
import json
import logging
import os
import re
import socket
import subprocess
import time
import urllib.request
from datetime import datetime

import pytest

from tests.api.pos_helpers import buy, member, shop
from tests.api.test_jobs import (
    redis_jobs,  # noqa: F401 (the fixture)
    run_worker,
)
from tests.processes import GUNICORN, ROOT, free_port
from valliance import create_app, jobs, logs
from valliance.config import TestConfig
from valliance.extensions import db

ACCESS_KEYS = {"time", "level", "logger", "message", "request_id", "route", "method", "status",
               "duration_ms"}
log = logging.getLogger("tests.json_logs")



class Captured:
    """What a JSON handler on the root logger wrote while the test ran."""

    def __init__(self):
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, logger: str | None = None) -> list[dict]:
        parsed = [json.loads(line) for line in self.text.splitlines()]  # each line is JSON
        return [line for line in parsed if logger is None or line["logger"] == logger]


@pytest.fixture
def captured():
    root = logging.getLogger()
    level = root.level
    seen = Captured()
    handler = logging.StreamHandler(seen.stream)
    handler.setFormatter(logs.JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield seen
    root.removeHandler(handler)
    root.setLevel(level)


def test_every_request_writes_one_json_access_line_with_route_status_and_duration(client,
                                                                                 captured):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-0001"})
    assert response.status_code == 200
    [line] = captured.lines("valliance.access")
    assert set(line) >= ACCESS_KEYS
    assert (line["level"], line["request_id"], line["route"], line["method"], line["status"]) \
        == ("INFO", "lb-0001", "/healthz", "GET", 200)
    assert line["message"] == "GET /healthz 200"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("Z") and datetime.fromisoformat(line["time"])


def test_the_route_is_the_url_rule_never_the_path_with_its_values(client, captured):
    client.get("/api/v1/directory/callers/13912345678")
    [line] = captured.lines("valliance.access")
    assert line["route"] == "/api/v1/directory/callers/<phone>" and line["status"] == 401
    assert "13912345678" not in captured.text


def test_a_sale_names_its_terminal_and_merchant_and_never_logs_the_card_or_the_key(
        client, session, captured):
    till = shop(session, offer={"percent_off": 10, "points_per_yuan": 1})
    _, card = member(session, points=100)
    merchant_id, terminal_id = till.merchant.id, till.terminal.id
    response = buy(client, till, card.number, 5000, headers={"X-Request-ID": "sale-1"})
    assert response.status_code == 201, response.get_json()
    [line] = captured.lines("valliance.access")  # the app's or the purchase lane's, once
    assert (line["request_id"], line["route"], line["status"]) == (
        "sale-1", "/api/v1/pos/purchases", 201)
    assert (line["merchant_id"], line["terminal_id"]) == (merchant_id, terminal_id)
    assert card.number not in captured.text and till.api_key not in captured.text


def test_a_signed_in_member_token_and_password_never_reach_the_logs(client, session, captured):
    found, card = member(session, phone="13500135000")
    member_id = found.id
    token = client.post("/api/v1/member/session",
                        json={"phone": "13500135000", "password": "secret123"}).get_json()["token"]
    me = client.get("/api/v1/member/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    log.warning("member said card %s with Bearer %s", card.number, token)
    text = captured.text
    assert "secret123" not in text and token not in text and card.number not in text
    assert f"card {'*' * 12}{card.number[-4:]} with Bearer [redacted]" in text
    assert captured.lines("valliance.access")[-1]["member_id"] == member_id


def test_scrub_masks_cards_hides_pay_codes_bearers_and_api_keys():
    assert logs.scrub("card 6222020012345678") == "card ************5678"
    assert logs.scrub("code 6222020012345678123456") == "code [redacted]"
    assert logs.scrub("Authorization: Bearer abc.def") == "Authorization: Bearer [redacted]"
    assert logs.scrub("key vt_AbCdEfGh123_-x") == "key vt_[redacted]"
    assert logs.scrub("phone 13800138000, 12 items") == "phone 13800138000, 12 items"


def test_the_request_id_is_echoed_when_sane_and_made_otherwise(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers[
        "X-Request-ID"] == "abc-123"
    for header in ({}, {"X-Request-ID": "x" * 65}, {"X-Request-ID": "bad\tid"}):
        made = client.get("/healthz", headers=header).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), made


def _note_job(session, subject):
    logging.getLogger("valliance.jobs.test").info("noting %s", subject)


@pytest.fixture
def note_job():
    jobs.register("test.logged", _note_job, label="test", backoff=())
    yield "test.logged"
    jobs.unregister("test.logged")


def test_a_job_queued_in_a_request_logs_that_requests_id_in_process(app, note_job, captured):
    with app.test_request_context("/", headers={"X-Request-ID": "req-42"}):
        jobs.enqueue(note_job, "x", key="logged-1")
    with app.app_context():
        assert jobs.backend().drain() == 1
    [line] = captured.lines("valliance.jobs.test")
    assert (line["request_id"], line["job"], line["message"]) == ("req-42", note_job, "noting x")


def test_a_job_queued_in_a_request_logs_that_requests_id_on_rq(app, note_job, redis_jobs,  # noqa: F811
                                                               captured):
    with app.test_request_context("/", headers={"X-Request-ID": "req-rq-7"}):
        job_id = jobs.enqueue(note_job, "y", key="logged-2")
    assert redis_jobs.queue.fetch_job(job_id).meta["request_id"] == "req-rq-7"
    run_worker(app)
    [line] = captured.lines("valliance.jobs.test")
    assert (line["request_id"], line["job"]) == ("req-rq-7", note_job)


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.NOTSET)


def test_log_format_json_is_productions_default_and_text_otherwise(restored_logging):
    assert logs.log_format({"PRODUCTION": True}) == "json"
    assert logs.log_format({}) == "text"
    assert logs.log_format({"PRODUCTION": True, "LOG_FORMAT": "text"}) == "text"
    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        logs.log_format({"LOG_FORMAT": "xml"})

    class Json(TestConfig):
        LOG_FORMAT = "json"
        DATABASE_URL = "sqlite://"
        SECRET_KEY = "x"  # noqa: S105
        RATELIMIT_STORAGE_URI = "memory://"

    for _ in range(2):  # one handler however many apps a process builds
        app = create_app(Json)
    root = logging.getLogger()
    [handler] = [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]
    stream = handler.stream = io.StringIO()
    app.test_client().get("/healthz")
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["logger"] == "valliance.access" and line["status"] in (200, 503)
    with app.app_context():
        db.engine.dispose()


def test_gunicorn_from_its_settings_writes_only_json_lines_and_one_access_line(tmp_path):
    port = free_port()
    env = {**os.environ, "LOG_FORMAT": "json", "SECRET_KEY": "x",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}"}
    env.pop("PRODUCTION", None)
    server = subprocess.Popen(  # noqa: S603
        [GUNICORN, "--bind", f"127.0.0.1:{port}",
         "-w", "1", "wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(200):  # until the master listens; then one request, however slow
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",  # noqa: S310
                                    timeout=60) as answer:
            assert answer.status == 200
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    lines = [json.loads(line) for line in errors.splitlines() if line.strip()]
    assert {"gunicorn.error", "valliance.access"} <= {line["logger"] for line in lines}
    assert [line["route"] for line in lines if line["logger"] == "valliance.access"] == [
        "/healthz"]
    assert not [line for line in lines if line["logger"] == "gunicorn.access"]

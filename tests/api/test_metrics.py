"""GET /metrics (contract §14): Prometheus text for the holder of METRICS_TOKEN only, and
counters that move by exactly what happened — a sale through the POS API and one through the
purchase lane, a redemption, a refund, a failed sign-in, a 429, a failed job."""

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.pos_helpers import PURCHASES, assert_error, buy, member, pay_code, refund, shop
from tests.api.test_jobs import redis_jobs, test_jobs  # noqa: F401 — fixtures
from tests.api.test_login_limits import ACCOUNT_LIMIT
from tests.api.test_portal import PASSWORD, enroll
from tests.conftest import ON_POSTGRES
from valliance import jobs
from valliance.merchants.lane import BUG, EXPECTED, PurchaseLane

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "scrape-secret-0123456789"  # noqa: S105 — tests only
BEARER = {"Authorization": f"Bearer {TOKEN}"}
SALES = f'valliance_http_request_duration_seconds_count{{method="POST",route="{PURCHASES}",status="2xx"}}'  # noqa: E501


@pytest.fixture
def metrics_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)


def samples(client) -> dict[str, float]:
    """Every sample of a scrape, by its name and labels as Prometheus writes them."""
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200, response.get_data(as_text=True)
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def moved(before: dict, after: dict) -> dict[str, float]:
    """The samples that changed between two scrapes (new ones from 0), but the scrapes' own
    requests, the pool's gauge and the process's own figures."""
    return {name: value - before.get(name, 0) for name, value in after.items()
            if value != before.get(name, 0) and 'route="/metrics"' not in name
            and not name.startswith(("valliance_db_pool", "process_", "python_"))
            and "_bucket" not in name and "_sum" not in name}


def test_metrics_do_not_exist_without_a_configured_token(client, monkeypatch, app):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "")
    assert_error(client.get("/metrics", headers=BEARER), 404, "not_found")
    assert_error(client.get("/metrics"), 404, "not_found")


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
    f"Bearer {TOKEN[:-1]}", f"bearer  {TOKEN} extra"])
def test_metrics_refuse_every_credential_but_the_token(client, metrics_token, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_error(client.get("/metrics", headers=headers), 401, "unauthorized")


def test_metrics_answer_prometheus_text_to_the_token(client, metrics_token):
    client.get("/healthz")
    response = client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    names = {family.name for family in
             text_string_to_metric_families(response.get_data(as_text=True))}
    assert {"valliance_http_request_duration_seconds", "valliance_purchases",
            "valliance_refunds", "valliance_redemptions", "valliance_points_issued",
            "valliance_points_redeemed", "valliance_failed_logins", "valliance_rate_limited",
            "valliance_lane_sales", "valliance_lane_fallbacks", "valliance_job_failures",
            "valliance_jobs", "valliance_db_pool_checked_out",
            "valliance_db_pool_capacity"} <= names
    found = samples(client)
    assert found['valliance_http_request_duration_seconds_count'
                 '{method="GET",route="/healthz",status="2xx"}'] >= 1
    assert found["valliance_db_pool_capacity"] >= 1


def test_routes_are_labelled_by_their_rule_never_by_the_path(client, metrics_token, session):
    before = samples(client)
    client.get(f"{PURCHASES}/pur_doesnotexist123", headers={"Authorization": "Bearer nope"})
    client.get("/no/such/page/13800138000")
    assert moved(before, samples(client)) == {
        'valliance_http_request_duration_seconds_count'
        f'{{method="GET",route="{PURCHASES}/<purchase_id>",status="4xx"}}': 1,
        'valliance_http_request_duration_seconds_count'
        '{method="GET",route="unmatched",status="4xx"}': 1}


def test_a_sale_through_the_pos_api_counts_once(app, client, session, metrics_token,
                                                monkeypatch):
    monkeypatch.setitem(app.config, "POS_PURCHASE_LANE", False)  # the app answers it
    s = shop(session, offer={"percent_off": 10, "points_per_yuan": 2})
    _, card = member(session)
    before = samples(client)
    sale = buy(client, s, card.number, 10000)
    assert sale.status_code == 201 and sale.get_json()["points_earned"] == 180
    assert moved(before, samples(client)) == {
        "valliance_purchases_total": 1, "valliance_points_issued_total": 180, SALES: 1}


@pytest.mark.skipif(not ON_POSTGRES, reason="the purchase lane runs on PostgreSQL only")
def test_a_sale_through_the_lane_counts_once(app, client, session, metrics_token):
    assert isinstance(app.wsgi_app, PurchaseLane)
    s = shop(session, offer={"percent_off": 10, "points_per_yuan": 2})
    _, card = member(session)
    before = samples(client)
    assert buy(client, s, card.number, 10000).status_code == 201
    assert moved(before, samples(client)) == {
        "valliance_purchases_total": 1, "valliance_points_issued_total": 180, SALES: 1,
        "valliance_lane_sales_total": 1}
    assert app.wsgi_app.fallbacks[BUG] == 0


def test_a_redemption_counts_the_points_spent(app, client, session, metrics_token):
    s = shop(session, offer={"percent_off": 0, "points_per_yuan": 1})
    _, card = member(session, points=500)
    before = samples(client)
    sale = buy(client, s, pay_code(card), 10000, redeem=300)
    assert sale.status_code == 201, sale.get_json()
    expected = {"valliance_purchases_total": 1, "valliance_redemptions_total": 1,
                "valliance_points_redeemed_total": 300,
                "valliance_points_issued_total": sale.get_json()["points_earned"], SALES: 1}
    if ON_POSTGRES:  # the lane tried it and left it to the app: a redemption is the app's
        expected[f'valliance_lane_fallbacks_total{{reason="{EXPECTED}"}}'] = 1
    assert moved(before, samples(client)) == expected


def test_a_refund_counts_once(client, session, metrics_token):
    s = shop(session, offer={"percent_off": 0, "points_per_yuan": 1})
    _, card = member(session)
    sale = buy(client, s, card.number, 5000).get_json()
    before = samples(client)
    assert refund(client, s, sale["id"], 2000).status_code == 201
    assert moved(before, samples(client)) == {
        "valliance_refunds_total": 1,
        'valliance_http_request_duration_seconds_count'
        f'{{method="POST",route="{PURCHASES}/<purchase_id>/refunds",status="2xx"}}': 1}


def _member_login(client, password: str):
    return client.post("/api/v1/member/session", json={"phone": "13800138000",
                                                       "password": password})


def test_a_failed_sign_in_counts_and_a_good_one_does_not(app, client, metrics_token):
    enroll(app)
    before = samples(client)
    assert _member_login(client, "wrong-pass1").status_code == 401
    assert _member_login(client, PASSWORD).status_code == 201
    route = 'route="/api/v1/member/session"'
    assert moved(before, samples(client)) == {
        'valliance_failed_logins_total{kind="member"}': 1,
        f'valliance_http_request_duration_seconds_count{{method="POST",{route},status="4xx"}}':
            1,
        f'valliance_http_request_duration_seconds_count{{method="POST",{route},status="2xx"}}':
            1}


def test_a_429_counts_with_its_route(app, client, metrics_token):
    enroll(app)
    for _ in range(ACCOUNT_LIMIT):
        assert _member_login(client, "wrong-pass1").status_code == 401
    before = samples(client)
    assert _member_login(client, "wrong-pass1").status_code == 429
    changed = moved(before, samples(client))
    assert changed['valliance_rate_limited_total{route="/api/v1/member/session"}'] == 1
    assert "valliance_failed_logins_total" not in changed  # refused before the password


def test_the_job_queue_is_read_when_scraped_and_failures_count(app, client, metrics_token):
    from tests.api import test_jobs as job_tests

    job_tests.failures_left["n"] = 1  # fails once, then succeeds on its retry
    jobs.backend(app).drain()  # (what earlier tests left queued)
    before = samples(client)
    with app.app_context():
        jobs.enqueue("test.flaky", "m-1", key="metrics-flaky")
        jobs.enqueue("test.note", "m-2", key="metrics-note")
    queued = samples(client)
    assert queued['valliance_jobs{state="queued"}'] == before['valliance_jobs{state="queued"}'] + 2
    assert jobs.backend(app).drain() == 3  # the note, the flaky one and its retry
    after = samples(client)
    assert after['valliance_jobs{state="queued"}'] == before['valliance_jobs{state="queued"}']
    assert moved(before, after)['valliance_job_failures_total{job="test.flaky"}'] == 1


@pytest.mark.usefixtures("redis_jobs")
def test_the_queue_on_redis_is_read_when_scraped(app, client, metrics_token):
    with app.app_context():
        jobs.enqueue("test.note", "r-1", key="metrics-redis-1")
        jobs.enqueue("test.note", "r-2", key="metrics-redis-2")
    found = samples(client)
    assert (found['valliance_jobs{state="queued"}'], found['valliance_jobs{state="failed"}']) \
        == (2, 0)


def test_the_sample_dashboard_queries_only_metrics_the_app_exports(client, metrics_token):
    dashboard = json.loads((ROOT / "deploy/grafana/valliance.json").read_text())
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    asked = {re.sub(r"_(total|count|bucket|sum)$", "", name)
             for query in queries for name in re.findall(r"valliance_\w+", query)}
    text = client.get("/metrics", headers=BEARER).get_data(as_text=True)
    exported = {family.name for family in text_string_to_metric_families(text)}
    assert len(queries) >= 12 and asked <= exported, asked - exported

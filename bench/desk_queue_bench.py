"""The service desk's queue with 50,000 open tickets, and its report over a month of 100,000.

    .venv/bin/python -m bench.desk_queue_bench [--requests 200] [--keep]

Seeds its own PostgreSQL database (valliance_desk_bench, or DESK_BENCH_DB), reset on every run
unless --keep finds it seeded: the staff (a desk user, 6 teams of 10 engineers) through the
services, then in bulk (INSERT … SELECT generate_series): 20,000 members (a fifth gold or
diamond), 50,000 unresolved tickets (open, assigned, in progress, waiting for the member; due
times spread from 2 days overdue to 24 hours ahead, a fifth overdue, half of those escalated;
a tenth unassigned) and 100,000 tickets opened last month (Asia/Shanghai), resolved, closed,
some closed unresolved, some still running, with fix times, reopens and ratings.

Then it times `services.queue.queue_page` directly, and the page `/staff/desk/` through the
Flask test client when the app has it (signed in as the desk user): the first page, a deep
page and filters, `--requests` times each; then the report of last month (the service, the
page and its CSV). Prints p50/p95/max in ms.
"""

import argparse
import os
import re
import statistics
import time

import psycopg

from bench.back_office_bench import run_timed
from bench.common import kept_or_fresh_app
from valliance.extensions import db

BENCH_DB = os.environ.get("DESK_BENCH_DB", "valliance_desk_bench")
OPEN_TICKETS, MONTH_TICKETS, MEMBERS, TEAMS, PER_TEAM = 50_000, 100_000, 20_000, 6, 10
TARGET_P95_MS = 300
PASSWORD = "bench-password-1"
NOW = "(now() AT TIME ZONE 'utc')"
#: last month's first moment and this month's, as UTC timestamps (Asia/Shanghai months)
MONTH_FROM = ("((date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') - interval '1 month')"
              " AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'utc'")
TICKET_COLUMNS = """id, number, member_id, kind, tier, summary, contact_phone, channel, status,
    resume_status, waiting_reason, team_id, assignee_id, created_at, updated_at,
    target_minutes, clock, used_seconds, running_since, due_at, escalated_at, resolved_at,
    closed_at, fix_seconds, within_target, reopen_count, rating, rated_at"""
KIND = ("(ARRAY['fault','fault','fault','fault','install','move','value_added','billing',"
        "'other'])[1 + g % 9]")
TEAM = "'bteam' || (g % 6)"
ENGINEER = "'beng' || (g % 6) || '-' || ((g / 6) % 10)"

SEED_SQL = [
    # members and their points accounts in one statement (the accounts' ids fed on)
    f"""WITH made AS (
            INSERT INTO accounts (kind, owner_id, no_overdraft, created_at)
            SELECT 'member', 'dm' || g, true, {NOW} FROM generate_series(1, {MEMBERS}) g
            RETURNING id, owner_id)
        INSERT INTO members (id, phone, name, membership_status, tier, points_account_id,
                             created_at, session_generation)
        SELECT owner_id, '16' || lpad(substr(owner_id, 3), 9, '0'), '会员' || substr(owner_id, 3),
               'active', (ARRAY['standard', 'standard', 'silver', 'standard', 'gold', 'silver',
                                'standard', 'standard', 'silver', 'diamond'])[
                   1 + substr(owner_id, 3)::int % 10], id, {NOW}, 0 FROM made""",
    # the queue: due from 2 days overdue to 24 h ahead; paused ones keep their due time
    f"""INSERT INTO tickets ({TICKET_COLUMNS})
        SELECT 'bt' || g, 'B' || lpad(g::text, 8, '0'), m.id, kind, m.tier, '宽带故障', m.phone,
               'portal', status, CASE WHEN status = 'waiting_member' THEN 'in_progress' END,
               CASE WHEN status = 'waiting_member' THEN '等客户在家' END,
               CASE WHEN status <> 'open' THEN {TEAM} END,
               CASE WHEN status <> 'open' AND g % 10 <> 0 THEN {ENGINEER} END,
               due - target * interval '1 minute', due - target * interval '1 minute',
               target, '24x7', CASE WHEN status = 'waiting_member' THEN target * 30 ELSE 0 END,
               CASE WHEN status <> 'waiting_member' THEN due - target * interval '1 minute' END,
               due, CASE WHEN due <= {NOW} AND g % 2 = 0 THEN due END,
               NULL, NULL, NULL, NULL, 0, NULL, NULL
        FROM (SELECT g, {KIND} AS kind,
                     (ARRAY['open','assigned','in_progress','in_progress','waiting_member',
                            'assigned','in_progress'])[1 + (g * 7) % 7] AS status,
                     CASE WHEN g % 9 < 4 THEN 300 ELSE 1440 END AS target,
                     {NOW} + ((g * 7919) % (72 * 60) - 48 * 60) * interval '1 minute' AS due
              FROM generate_series(1::bigint, {OPEN_TICKETS}) g) s
        JOIN members m ON m.id = 'dm' || (1 + (g * 31) % {MEMBERS})""",
    # last month: 100,000 tickets, mostly resolved (a fix time around the level), some closed
    f"""INSERT INTO tickets ({TICKET_COLUMNS})
        SELECT 'bh' || g, 'H' || lpad(g::text, 8, '0'), m.id, kind, m.tier, '宽带故障', m.phone,
               'app', status, NULL, NULL, {TEAM},
               CASE WHEN g % 10 <> 0 THEN {ENGINEER} END, opened, opened, target, '24x7',
               fix, CASE WHEN status = 'in_progress' THEN opened END,
               opened + target * interval '1 minute', NULL,
               CASE WHEN fixed THEN opened + fix * interval '1 second' END,
               CASE WHEN status = 'closed' THEN opened + interval '8 days' END,
               CASE WHEN fixed THEN fix END, CASE WHEN fixed THEN fix <= target * 60 END,
               CASE WHEN fixed AND g % 13 = 0 THEN 1 ELSE 0 END,
               CASE WHEN fixed AND g % 3 = 0 THEN 1 + (g * 17) % 5 END,
               CASE WHEN fixed AND g % 3 = 0 THEN opened + interval '1 day' END
        FROM (SELECT g, {KIND} AS kind, status, status IN ('resolved', 'closed') AND g % 50 <> 1
                     AS fixed, target, opened,
                     CASE WHEN status IN ('resolved', 'closed') THEN
                          (target * 60 * (0.2 + ((g * 104729) % 1000) / 1000.0))::int
                          ELSE 0 END AS fix
              FROM (SELECT g, CASE WHEN g % 9 < 4 THEN 300 ELSE 1440 END AS target,
                           CASE WHEN g % 40 = 0 THEN 'in_progress' WHEN g % 3 = 0 THEN 'resolved'
                                ELSE 'closed' END AS status,
                           {MONTH_FROM} + ((g * 7919) % (28 * 86400)) * interval '1 second'
                           AS opened
                    FROM generate_series(1::bigint, {MONTH_TICKETS}) g) t) s
        JOIN members m ON m.id = 'dm' || (1 + (g * 37) % {MEMBERS})""",
]


def seed(app, url: str) -> None:
    from valliance.service_desk.models import ServiceTeam, ServiceTeamMember
    from valliance.staff.services import create_staff_user
    started = time.perf_counter()
    with app.app_context():
        create_staff_user(db.session, username="desk", name="客服压测", password=PASSWORD,
                          roles=("service_desk",))
        for t in range(TEAMS):
            db.session.add(ServiceTeam(id=f"bteam{t}", name=f"装维{t + 1}组"))
            for e in range(PER_TEAM):
                db.session.add(create_staff_user(
                    db.session, username=f"eng{t}-{e}", name=f"工程师{t}-{e}",
                    password=PASSWORD, roles=("service_desk",)))
        db.session.flush()
        db.session.execute(db.text("UPDATE staff_users SET id = 'beng' || substr(username, 4)"
                                   " WHERE username LIKE 'eng%'"))
        for t in range(TEAMS):
            for e in range(PER_TEAM):
                db.session.add(ServiceTeamMember(staff_id=f"beng{t}-{e}", team_id=f"bteam{t}"))
        db.session.commit()
    run_timed(url, SEED_SQL)
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def is_seeded(url: str) -> bool:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM tickets").fetchone()[0] >= (
                OPEN_TICKETS + MONTH_TICKETS)
    except psycopg.Error:
        return False


def figures(label: str, samples: list[float], target: float | None = None) -> None:
    p95 = statistics.quantiles(samples, n=20)[-1] if len(samples) > 1 else samples[0]
    mark = "" if target is None else ("  ok" if p95 <= target else f"  OVER {target:.0f}")
    print(f"  {label:<34} p50 {statistics.median(samples):6.1f}  p95 {p95:6.1f}  "
          f"max {max(samples):6.1f} ms  (n={len(samples)}){mark}")


def repeat(call, requests: int) -> list[float]:
    for _ in range(3):  # warm: connections, templates, the database's caches
        call()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def queue_cases() -> dict[str, tuple[dict, int]]:
    """name → (filters, page)."""
    return {"unfiltered, page 1": ({}, 1), "unfiltered, page 500 (deep)": ({}, 500),
            "kind fault": ({"kind": "fault"}, 1), "tier diamond": ({"tier": "diamond"}, 1),
            "team": ({"team_id": "bteam2"}, 1), "assignee": ({"assignee_id": "beng3-4"}, 1),
            "unassigned": ({"assignee_id": "none"}, 1), "overdue": ({"status": "overdue"}, 1),
            "escalated": ({"status": "escalated"}, 1),
            "waiting_member": ({"status": "waiting_member"}, 1)}


def time_queue(app, requests: int) -> None:
    from valliance.service_desk.services.queue import QueueFilters, queue_page
    print(f"services.queue.queue_page ({requests} calls each):")
    with app.app_context():
        for name, (filters, page) in queue_cases().items():
            def call(filters=filters, page=page):
                queue_page(db.session, QueueFilters(**filters), page=page)
                db.session.rollback()
            figures(name, repeat(call, requests))


def signed_in(app):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    answer = client.post("/staff/login", data={"username": "desk", "password": PASSWORD,
                                               "csrf_token": found.group(1) if found else ""})
    assert answer.status_code == 302, answer.status_code
    return client


def time_queue_page(app, requests: int) -> None:
    if not any(rule.rule == "/staff/desk/" for rule in app.url_map.iter_rules()):
        print("GET /staff/desk/: not in this app (the queue page is not on this branch)")
        return
    client = signed_in(app)
    print(f"GET /staff/desk/ ({requests} requests each, target p95 <= {TARGET_P95_MS} ms):")
    for name, (filters, page) in queue_cases().items():
        query = {**filters, "page": page}

        def call(query=query):
            assert client.get("/staff/desk/", query_string=query).status_code == 200
        figures(name, repeat(call, requests), TARGET_P95_MS)


def time_report(app, requests: int) -> None:
    from valliance.db import today_shanghai
    from valliance.service_desk.services.report import build_report
    from valliance.service_desk.services.report_periods import MONTH, period_of
    last_month = period_of(MONTH, today_shanghai()).previous()
    print(f"the report of {last_month.key} ({MONTH_TICKETS:,} tickets; {requests} each):")
    with app.app_context():
        report = build_report(db.session, last_month)
        print(f"  (opened {report.total.opened:,}, fault share {report.faults.share:.3f}, "
              f"median fix {report.faults.median_seconds} s)")

        def call():
            build_report(db.session, last_month)
            db.session.rollback()
        figures("services.report.build_report", repeat(call, requests))
    client, query = signed_in(app), {"period": "month", "at": last_month.key}
    figures("GET /staff/desk/report", repeat(lambda: client.get(
        "/staff/desk/report", query_string=query), requests))
    figures("GET /staff/desk/report.csv", repeat(lambda: client.get(
        "/staff/desk/report.csv", query_string=query), requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--report-requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="reuse a seeded database")
    args = parser.parse_args()
    app, url, fresh = kept_or_fresh_app(BENCH_DB, args.keep, is_seeded)
    if fresh:
        seed(app, url)
    time_queue(app, args.requests)
    time_queue_page(app, args.requests)
    time_report(app, args.report_requests)


if __name__ == "__main__":
    main()

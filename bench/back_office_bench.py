"""The alliance dashboard (GET /staff/) with 100,000 members and 1,000,000 purchases.

    .venv/bin/python -m bench.back_office_bench [--requests 40] [--keep]

Seeds its own PostgreSQL database (valliance_back_office_bench, or BACK_OFFICE_BENCH_DB),
reset on every run unless --keep finds it seeded: merchants, an operator and a staff user
through the services; members, cards, purchases, the ledger's transfers for them (an opening
balance per member, one accrual per purchase, a redemption for one in seven), the member
accounts' totals, tier changes, 114 referrals and Stripe payments in bulk (INSERT … SELECT
generate_series), spread over the last 12 months (members over two years). Entries and lots
are not written: the dashboard reads transfers and account totals only.

Then it signs in and times the page through the Flask test client (the whole request:
routing, every query, the template), and prints p50/p95 and the time of each group of
queries.
"""

import argparse
import os
import re
import statistics
import time
from datetime import timedelta

import psycopg
from flask_migrate import upgrade
from sqlalchemy import text

from bench.common import db_url, ensure_database, fresh_app
from valliance import create_app
from valliance.extensions import db

BENCH_DB = os.environ.get("BACK_OFFICE_BENCH_DB", "valliance_back_office_bench")
MEMBERS, PURCHASES, MERCHANTS = 100_000, 1_000_000, 500
TARGET_P95_MS = 300
PASSWORD = "bench-password-1"

NOW = "(now() AT TIME ZONE 'utc')"
SEED_SQL = [
    # member accounts first: members name theirs
    f"""INSERT INTO accounts (kind, owner_id, no_overdraft, created_at)
        SELECT 'member', 'bm' || g, true, {NOW} FROM generate_series(1, {MEMBERS}) g""",
    f"""INSERT INTO members (id, phone, name, membership_status, tier, points_account_id,
                             created_at, session_generation)
        SELECT 'bm' || g, '15' || lpad(g::text, 9, '0'), '会员' || g, 'active',
               CASE WHEN g % 20 = 0 THEN 'diamond' WHEN g % 10 = 0 THEN 'gold'
                    WHEN g % 5 = 0 THEN 'silver' ELSE 'standard' END,
               a.id, {NOW} - (g % 730) * interval '1 day' - (g % 997) * interval '1 minute', 0
        FROM generate_series(1, {MEMBERS}) g JOIN accounts a ON a.owner_id = 'bm' || g
        AND a.kind = 'member'""",
    """INSERT INTO cards (id, number, member_id, status, pay_secret, issued_at, expires_on,
                           pay_code_uses)
        SELECT 'bc' || substr(m.id, 3), '9' || lpad(substr(m.id, 3), 15, '0'), m.id, 'active', 'x',
               m.created_at, current_date + 3650, 0 FROM members m""",
    # purchases: 12 months, busy merchants busier (the square of a uniform draw)
    f"""INSERT INTO purchases (id, merchant_id, member_id, card_id, tier, amount, percent_off,
                               discount, redeem_points, points_value, payable, points_earned,
                               points_balance, refunded_amount, created_at)
        SELECT 'bp' || g, (ARRAY(SELECT id FROM merchants ORDER BY id))[
                   1 + floor({MERCHANTS} * power(((g * 7919) % 10007) / 10007.0, 2))::int],
               'bm' || m, 'bc' || m, 'standard', amount, 10, amount / 10,
               CASE WHEN g % 7 = 0 THEN 100 ELSE 0 END, CASE WHEN g % 7 = 0 THEN 100 ELSE 0 END,
               amount - amount / 10 - CASE WHEN g % 7 = 0 THEN 100 ELSE 0 END,
               amount / 100, 0, 0,
               {NOW} - ((g * 104729) % (365 * 86400)) * interval '1 second'
        FROM (SELECT g, 1 + (g * 7907) % {MEMBERS} AS m, 2000 + (g * 6151) % 50000 AS amount
              FROM generate_series(1::bigint, {PURCHASES}) g) s""",
    # an opening balance for every member (an adjustment, as an import makes)
    """INSERT INTO transfers (debit_account_id, credit_account_id, amount, code, kind, reason,
                              actor, created_at)
       SELECT {adjustments}, points_account_id, 1000, 'ADJUST', 'adjust', 'opening_balance',
              'bench', created_at FROM members ORDER BY created_at""",
    """INSERT INTO transfers (debit_account_id, credit_account_id, amount, code, kind,
                              purchase_id, merchant_id, created_at)
       SELECT x.issued_account_id, m.points_account_id, p.points_earned, 'ACCRUE', 'accrue',
              p.id, p.merchant_id, p.created_at
       FROM purchases p JOIN merchants x ON x.id = p.merchant_id
       JOIN members m ON m.id = p.member_id ORDER BY p.created_at""",
    """INSERT INTO transfers (debit_account_id, credit_account_id, amount, code, kind,
                              purchase_id, merchant_id, created_at)
       SELECT m.points_account_id, x.redeemed_account_id, p.redeem_points, 'REDEEM', 'redeem',
              p.id, p.merchant_id, p.created_at
       FROM purchases p JOIN merchants x ON x.id = p.merchant_id
       JOIN members m ON m.id = p.member_id WHERE p.redeem_points > 0 ORDER BY p.created_at""",
    """UPDATE accounts a SET credits_posted = t.credits, debits_posted = t.debits
       FROM (SELECT account_id, sum(credit) AS credits, sum(debit) AS debits FROM (
               SELECT credit_account_id AS account_id, amount AS credit, 0 AS debit
               FROM transfers UNION ALL
               SELECT debit_account_id, 0, amount FROM transfers) s GROUP BY account_id) t
       WHERE a.id = t.account_id AND a.kind = 'member'""",
    f"""INSERT INTO tier_changes (member_id, from_tier, to_tier, reason, created_at)
        SELECT id, 'standard', tier, 'bench', {NOW} - (length(id) + 7 * (substr(id, 3)::int
               % 50)) * interval '1 day' FROM members WHERE tier <> 'standard'""",
    f"""INSERT INTO referrals (id, operator_id, member_id, caller_has_vcard, merchant_id,
                               created_at)
        SELECT 'br' || g, (SELECT id FROM operators LIMIT 1), 'bm' || (1 + (g * 31) % {MEMBERS}),
               true, (ARRAY(SELECT id FROM merchants ORDER BY id))[1 + g % {MERCHANTS}],
               {NOW} - (g % (90 * 24)) * interval '1 hour'
        FROM generate_series(1, 30000) g""",
    f"""INSERT INTO payments (id, member_id, kind, amount, currency, status, points_credited,
                              points_reversed, refunded_amount, created_at, updated_at, paid_at)
        SELECT 'bpay' || g, 'bm' || (1 + (g * 13) % {MEMBERS}), 'bill', 5000 + g % 10000, 'cny',
               CASE WHEN g % 9 = 0 THEN 'failed' ELSE 'succeeded' END, 0, 0, 0,
               {NOW} - (g % 365) * interval '1 day', {NOW} - (g % 365) * interval '1 day',
               CASE WHEN g % 9 = 0 THEN NULL ELSE {NOW} - (g % 365) * interval '1 day' END
        FROM generate_series(1, 20000) g""",
]


def seed(app, url: str) -> None:
    from valliance.directory.services import create_operator
    from valliance.merchants.services.onboarding import create_merchant
    from valliance.points import system_account
    from valliance.points.rules import ALLIANCE_ADJUSTMENTS
    from valliance.staff.services import create_staff_user
    started = time.perf_counter()
    with app.app_context():
        for i in range(MERCHANTS):
            create_merchant(db.session, name=f"商户{i:03d}", category="餐饮",
                            district="鹿城区", approved=True)
        create_operator(db.session, "一号台")
        create_staff_user(db.session, username="bench", name="压测员", password=PASSWORD,
                          roles=("admin",))
        adjustments = system_account(db.session.connection(), ALLIANCE_ADJUSTMENTS)
        db.session.commit()
    run_timed(url, [statement.replace("{adjustments}", str(adjustments))
                    for statement in SEED_SQL])
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def run_timed(url: str, statements: list[str]) -> None:
    """Run bulk seeding statements, printing each one's table and time, then VACUUM ANALYZE
    (the other benches that seed with SEED_SQL call it too)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        for statement in statements:
            step = time.perf_counter()
            conn.execute(statement)
            table = re.search(r"(?:INSERT INTO|UPDATE) (\w+)", statement).group(1)
            print(f"  {table:<14} {time.perf_counter() - step:6.1f} s")
        conn.execute("VACUUM ANALYZE")


def is_seeded(url: str) -> bool:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM purchases").fetchone()[0] >= PURCHASES
    except psycopg.Error:
        return False


def time_page(app, requests: int) -> list[float]:
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = found.group(1) if found else ""
    answer = client.post("/staff/login", data={"username": "bench", "password": PASSWORD,
                                               "csrf_token": token})
    assert answer.status_code == 302, answer.status_code
    started = time.perf_counter()
    assert client.get("/staff/").status_code == 200
    print(f"first request (rolls up 12 months of closed days): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    for _ in range(2):  # warm: connections, templates, the database's caches
        assert client.get("/staff/").status_code == 200
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/staff/")
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return samples


def time_parts(app, rounds: int = 5) -> dict[str, float]:
    """The median time of each group of the dashboard's queries (ms)."""
    from valliance.backoffice.services import alliance_days as days
    from valliance.backoffice.services import buyers, closed_periods
    from valliance.backoffice.services import dashboard as d
    from valliance.backoffice.services.dashboard_channels import channels
    from valliance.db import today_shanghai
    from valliance.points import outstanding_points
    today = today_shanghai()
    starts = d.month_starts(today)
    recent_days = (days.last_closed_day(today) + timedelta(days=1), today)
    parts = {
        "members by tier, trend, new": lambda s: closed_periods.tier_trend(
            s, starts, today, (today.replace(day=1), today - timedelta(days=29))),
        "active 30/90": lambda s: buyers.active(s, today, (30, 90), recent_days[0]),
        "recent days live": lambda s: days.live(s, *recent_days),
        "12 months by day (rollup)": lambda s: days.by_day(s, starts[0], today, {}),
        "top merchants, 30 days (rollup)": lambda s: days.by_merchant(
            s, today - timedelta(days=29), today, {}),
        "liability": outstanding_points,
        "114, Stripe, pending": lambda s: channels(s, today),
        "roll-up check (nothing to write)": lambda s: days.roll_up(s, starts[0], today),
    }
    timings = {}
    with app.test_request_context():
        db.session.execute(text("SET jit = off"))  # as the dashboard's transaction does
        for name, work in parts.items():
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                work(db.session)
                samples.append((time.perf_counter() - started) * 1000)
            timings[name] = statistics.median(samples)
        db.session.remove()
    return timings


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help="reuse a seeded database")
    args = parser.parse_args()
    ensure_database(BENCH_DB)
    url = db_url(BENCH_DB)
    if args.keep and is_seeded(url):
        class Cfg:
            DATABASE_URL = url
        app = create_app(Cfg)
        with app.app_context():
            upgrade()  # a database seeded by an older revision gains the new indexes
        with psycopg.connect(url, autocommit=True) as conn:
            # the first request rolls up again
            conn.execute("TRUNCATE alliance_days, alliance_tier_months, alliance_referral_days,"
                         " alliance_buyers")
            conn.execute("VACUUM ANALYZE")
    else:
        app, url = fresh_app(BENCH_DB)
        seed(app, url)
    samples = time_page(app, args.requests)
    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    print(f"GET /staff/ × {len(samples)}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
          f"max {max(samples):.0f} ms (target p95 ≤ {TARGET_P95_MS} ms: "
          f"{'ok' if p95 <= TARGET_P95_MS else 'MISSED'})")
    for name, ms in time_parts(app).items():
        print(f"  {name:<34} {ms:6.1f} ms")


if __name__ == "__main__":
    main()

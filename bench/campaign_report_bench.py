"""A campaign's report (issue #17) over 100,000 deliveries, against 1,000,000 purchases.

    .venv/bin/python -m bench.campaign_report_bench [--rounds 5]

Reuses bench/segments_bench.py's database (SEGMENTS_BENCH_DB, seeded by that bench: run it
first) and writes one campaign into it, replaced on every run: two daily rounds of 50,000
members each, 80 % sent (an SMS in the outbox each), 5 % deferred, 10 % control, 3 % capped,
2 % opted out, reached 60 and 40 days ago, with the offer of a merchant; then times report().
"""

import argparse
import statistics
import time

import psycopg

from bench import back_office_bench
from bench.common import db_url
from bench.segments_bench import BENCH_DB
from valliance import create_app
from valliance.extensions import db
from valliance.marketing.services.campaign_report import report

CAMPAIGN = "cmp_bench_report"
NOW = "(now() AT TIME ZONE 'utc')"
#: the previous run's campaign
CLEAR_SQL = [
    f"DELETE FROM campaign_deliveries WHERE campaign_id = '{CAMPAIGN}'",
    "DELETE FROM outbox_messages WHERE recipient = 'bench-campaign'",
    f"DELETE FROM campaigns WHERE id = '{CAMPAIGN}'",
    "DELETE FROM offers WHERE id = 'off_bench_report'",
]
SEED_SQL = [
    """INSERT INTO offers (id, merchant_id, title, description, percent_off, points_per_yuan,
                           active, created_at)
       SELECT 'off_bench_report', min(id), '八折', '', 20, 1, true, now() FROM merchants""",
    f"""INSERT INTO campaigns (id, name, status, channel, message, filters, offer_id,
                              bonus_points, control_percent, schedule_kind, created_at,
                              updated_at)
        VALUES ('{CAMPAIGN}', '{CAMPAIGN}', 'scheduled', 'sms', '您好', '{{}}',
                'off_bench_report', 0, 10, 'daily', now(), now())""",
    f"""INSERT INTO campaign_deliveries (campaign_id, round, member_id, status, reached_at,
                                        sent_at, created_at)
        SELECT '{CAMPAIGN}', r.round, m.id, s.status,
               CASE WHEN s.status IN ('sent', 'deferred') THEN r.at END,
               CASE WHEN s.status = 'sent' THEN r.at END, r.at
        FROM members m
        JOIN (VALUES (0, '2026-10-01', {NOW} - interval '60 days'),
                     (1, '2026-10-21', {NOW} - interval '40 days')) r(half, round, at)
          ON substr(m.id, 3)::int % 2 = r.half
        CROSS JOIN LATERAL (SELECT CASE
               WHEN substr(m.id, 3)::int % 100 < 80 THEN 'sent'
               WHEN substr(m.id, 3)::int % 100 < 85 THEN 'deferred'
               WHEN substr(m.id, 3)::int % 100 < 95 THEN 'control'
               WHEN substr(m.id, 3)::int % 100 < 98 THEN 'capped'
               ELSE 'opted_out' END AS status) s""",
    """INSERT INTO outbox_messages (channel, recipient, body, secret, created_at, status,
                                    attempts)
       SELECT 'sms', 'bench-campaign', id::text, false, now(),
              CASE WHEN id % 50 = 0 THEN 'failed' ELSE 'sent' END, 1
       FROM campaign_deliveries WHERE status = 'sent'""",
    """UPDATE campaign_deliveries d SET outbox_message_id = o.id FROM outbox_messages o
       WHERE o.recipient = 'bench-campaign' AND o.body = d.id::text""",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = db_url(BENCH_DB)
    if not back_office_bench.is_seeded(url):
        raise SystemExit(f"{BENCH_DB} is not seeded: run python -m bench.segments_bench first")
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in CLEAR_SQL:
            conn.execute(statement)
    back_office_bench.run_timed(url, SEED_SQL)

    class Cfg:
        DATABASE_URL = url

    app = create_app(Cfg)
    with app.app_context():
        samples = []
        for _ in range(args.rounds + 1):  # the first warms the caches
            started = time.perf_counter()
            result = report(db.session, CAMPAIGN)
            samples.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
        samples = samples[1:]
    print(f"  {result.targeted:,} deliveries, {result.buyers:,} buyers of {result.reached:,} "
          f"reached, {result.control_buyers:,} of {result.control:,} held out, "
          f"{result.redeemed:,} redeemed, uplift {result.uplift.uplift_points}")
    print(f"report() median {statistics.median(samples):.0f} ms, max {max(samples):.0f} ms")


if __name__ == "__main__":
    main()

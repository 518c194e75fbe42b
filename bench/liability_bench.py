"""The points liability page's reads on PostgreSQL with 100,000 members (aim: ≤ 300 ms).

    .venv/bin/python -m bench.liability_bench [--db valliance_bench_liability] [--lots 4]

Resets the database it is given (its own by default), fills it with members spread over the
tiers, their accounts and open lots straight in SQL, and times
backoffice.services.liability.liability — the two statements of points/liability.py.
"""

import argparse
import statistics
import time

from sqlalchemy import text

from bench.common import fresh_app
from valliance.backoffice.services.liability import liability
from valliance.extensions import db

MEMBERS = 100_000
SEED = """
INSERT INTO accounts (id, kind, owner_id, no_overdraft, credits_posted, owed, created_at)
SELECT 1000000 + g, 'member', 'bm' || g, true, (g % 5000) * 3,
       CASE WHEN g % 97 = 0 THEN 40 ELSE 0 END, now()
FROM generate_series(1, :members) g;
INSERT INTO members (id, phone, name, membership_status, tier, points_account_id, created_at,
                     session_generation)
SELECT 'bm' || g, (13000000000 + g)::text, 'member', 'active',
       (ARRAY['standard','standard','standard','silver','gold','diamond'])[1 + g % 6],
       1000000 + g, now(), 0
FROM generate_series(1, :members) g;
INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, code, kind, created_at)
SELECT 5000000 + g, 1, 1000001 + (g % :members), 5, 'ACCRUE', 'accrue', now()
FROM generate_series(1, :lots) g;
INSERT INTO lots (transfer_id, account_id, amount, remaining, expires_at, created_at)
SELECT 5000000 + g, 1000001 + (g % :members), 5, CASE WHEN g % 7 = 0 THEN 0 ELSE 5 END,
       now() + ((g % 800) || ' days')::interval, now()
FROM generate_series(1, :lots) g;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="valliance_bench_liability")
    parser.add_argument("--lots", type=int, default=4, help="open lots per member")
    args = parser.parse_args()
    app, _ = fresh_app(args.db)
    with app.app_context():
        for statement in SEED.strip().split(";\n"):
            db.session.execute(text(statement), {"members": MEMBERS,
                                                 "lots": MEMBERS * args.lots})
        db.session.commit()
        for table in ("accounts", "members", "lots"):
            db.session.execute(text(f"ANALYZE {table}"))
        db.session.commit()
        times = []
        for _ in range(7):
            started = time.perf_counter()
            report = liability(db.session, 1)
            times.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
    print(f"{report.total.members:,} members, {report.total.points:,} points, "
          f"expiring {report.total.expiring}: median {statistics.median(times):.0f} ms, "
          f"best {min(times):.0f} ms (aim ≤ 300 ms)")


if __name__ == "__main__":
    main()

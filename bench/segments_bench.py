"""Segment previews (issue #17) with 100,000 members and 1,000,000 purchases.

    .venv/bin/python -m bench.segments_bench [--rounds 5] [--keep]

Seeds its own PostgreSQL database (valliance_segments_bench, or SEGMENTS_BENCH_DB) with
bench/back_office_bench.py's alliance, then spreads the merchants over 8 districts and the
categories, scores every member in an RFM cell and opens a lot for every opening balance
(expiring two years after the member joined). Then times preview() (the count and a sample
of 10) for single and combined filters and prints the median and the slowest of each, after
keeping every member's home merchant as the nightly scoring run does (dated a day back, so a
day's buyers are ranked live).
"""

import argparse
import os
import re
import statistics
import time
from datetime import date, timedelta

import psycopg
from flask_migrate import upgrade

from bench import back_office_bench
from bench.common import db_url, ensure_database, fresh_app
from valliance import create_app
from valliance.db import utcnow
from valliance.extensions import db
from valliance.marketing.services import home_merchants
from valliance.marketing.services.segments import (
    most_frequent_merchants,
    parse_filters,
    preview,
)

BENCH_DB = os.environ.get("SEGMENTS_BENCH_DB", "valliance_segments_bench")
TARGET_MS = 1000
DISTRICTS = ("鹿城区", "龙湾区", "瓯海区", "洞头区", "乐清市", "瑞安市", "永嘉县", "平阳县")
CATEGORIES = ("餐饮", "酒店", "零售", "娱乐", "美容美发")

EXTRA_SQL = [
    f"""UPDATE merchants m SET district = (ARRAY{list(DISTRICTS)})[1 + s.n % 8],
                              category = (ARRAY{list(CATEGORIES)})[1 + s.n % 5]
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM merchants) s
        WHERE s.id = m.id""",
    """INSERT INTO member_scores (member_id, recency_days, frequency, monetary_fen, r, f, m,
                                  cell, scored_at)
       SELECT id, 0, 0, 0, 1 + substr(id, 3)::int % 5, 1 + substr(id, 3)::int / 5 % 5,
              1 + substr(id, 3)::int / 25 % 5,
              (ARRAY['important_value', 'important_develop', 'important_keep',
                     'important_retain', 'general_value', 'general_develop', 'general_keep',
                     'general_retain'])[1 + substr(id, 3)::int % 8], now()
       FROM members""",
    """INSERT INTO lots (transfer_id, account_id, amount, remaining, expires_at, created_at)
       SELECT id, credit_account_id, amount, amount, created_at + interval '730 days',
              created_at
       FROM transfers WHERE reason = 'opening_balance'""",
]

CASES = {
    "no filter": {},
    "tier gold+diamond": {"tiers": ["gold", "diamond"]},
    "district 龙湾区": {"districts": ["龙湾区"]},
    "rfm 2 cells": {"rfm_cells": ["important_value", "important_keep"]},
    "inactive ≥ 90 days": {"inactive_min": 90},
    "bought within 30 days": {"inactive_max": 30},
    "balance 1,000–5,000": {"balance_min": 1000, "balance_max": 5000},
    "expiring within 365 days": {"expiring_within": 365},
    "category 酒店": {"categories": ["酒店"]},
    "joined in the last year": {"joined_after": date.today().replace(year=date.today().year - 1)
                                .isoformat()},
    "district + tier + inactive + rfm": {"districts": ["瓯海区"], "tiers": ["standard", "silver"],
                                         "inactive_min": 30, "rfm_cells": ["general_retain"]},
    "everything": {"tiers": ["standard", "gold"], "districts": ["鹿城区", "龙湾区"],
                   "rfm_cells": ["general_keep", "important_value"], "inactive_min": 10,
                   "inactive_max": 300, "balance_min": 100, "expiring_within": 700,
                   "categories": ["餐饮", "零售"], "joined_after": "2025-01-01"},
}


def seed(app, url: str) -> None:
    back_office_bench.seed(app, url)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in EXTRA_SQL:
            step = time.perf_counter()
            conn.execute(statement)
            table = re.search(r"(?:INSERT INTO|UPDATE) (\w+)", statement).group(1)
            print(f"  {table:<14} {time.perf_counter() - step:6.1f} s")
        conn.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse a seeded database")
    args = parser.parse_args()
    ensure_database(BENCH_DB)
    url = db_url(BENCH_DB)
    if args.keep and back_office_bench.is_seeded(url):
        class Cfg:
            DATABASE_URL = url
        app = create_app(Cfg)
        with app.app_context():
            upgrade()
    else:
        app, url = fresh_app(BENCH_DB)
        seed(app, url)
    worst = 0.0
    with app.app_context():
        # what the nightly scoring run keeps for the district filter, as if it ran a day ago:
        # the last day's buyers are ranked live (services/home_merchants.py)
        started = time.perf_counter()
        kept = home_merchants.refresh(db.session, most_frequent_merchants(),
                                      utcnow() - timedelta(days=1))
        db.session.commit()
        print(f"  home merchants kept for {kept:,} members in "
              f"{time.perf_counter() - started:.1f} s (part of the nightly scoring run)")
        for name, fields in CASES.items():
            filters = parse_filters(fields)
            samples = []
            for _ in range(args.rounds + 1):  # the first warms the caches
                started = time.perf_counter()
                result = preview(db.session, filters)
                samples.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            samples = samples[1:]
            worst = max(worst, max(samples))
            print(f"  {name:<34} {result.count:>7} members  median "
                  f"{statistics.median(samples):6.0f} ms  max {max(samples):6.0f} ms")
    print(f"slowest preview {worst:.0f} ms (target ≤ {TARGET_MS} ms: "
          f"{'ok' if worst <= TARGET_MS else 'MISSED'})")


if __name__ == "__main__":
    main()

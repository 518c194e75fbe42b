"""RFM scoring (flask rfm score) with 100,000 members and 1,000,000 purchases on PostgreSQL.

    .venv/bin/python -m bench.rfm_bench [--rounds 3] [--keep]

Seeds its own database (valliance_rfm_bench, or RFM_BENCH_DB; reset on every run unless
--keep finds it seeded) with the members, cards, purchases (12 months) and bill payments of
bench/back_office_bench.py — its seeding SQL, imported, without the ledger (scoring does not
read it) — then refunds one purchase in ten (half) and one in fifty (all), and times
`score_members` (aggregate, score, replace every row, commit) and `value_pyramid`.
"""

import argparse
import os
import re
import time

from sqlalchemy import func, select

from bench.back_office_bench import MERCHANTS, SEED_SQL, is_seeded, run_timed
from bench.common import ensure_database, kept_or_fresh_app
from valliance.extensions import db
from valliance.marketing.models import MemberScore
from valliance.marketing.services import pyramid, rfm

BENCH_DB = os.environ.get("RFM_BENCH_DB", "valliance_rfm_bench")
#: what scoring reads: members (and their accounts and cards), purchases, payments
TABLES = ("accounts", "members", "cards", "purchases", "payments")
REFUNDS = [
    "UPDATE purchases SET refunded_amount = amount / 2 WHERE substr(id, 3)::bigint % 10 = 3",
    "UPDATE purchases SET refunded_amount = amount WHERE substr(id, 3)::bigint % 50 = 7",
]


def seed(app, url: str) -> None:
    from valliance.merchants.services.onboarding import create_merchant
    started = time.perf_counter()
    with app.app_context():
        for i in range(MERCHANTS):
            create_merchant(db.session, name=f"商户{i:03d}", category="餐饮",
                            district="鹿城区", approved=True)
        db.session.commit()
    wanted = [s for s in SEED_SQL
              if re.search(r"INSERT INTO (\w+)", s) and
              re.search(r"INSERT INTO (\w+)", s).group(1) in TABLES]
    run_timed(url, wanted + REFUNDS)
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse a seeded database")
    args = parser.parse_args()
    ensure_database(BENCH_DB)
    app, url, fresh = kept_or_fresh_app(BENCH_DB, args.keep, is_seeded)
    if fresh:
        seed(app, url)
    with app.app_context():
        for round_ in range(1, args.rounds + 1):
            started = time.perf_counter()
            run = rfm.score_members(db.session)
            db.session.commit()
            seconds = time.perf_counter() - started
            print(f"score_members #{round_}: {seconds:.2f} s, {run.scored:,} scored, "
                  f"cells {run.cells}")
        assert db.session.scalar(select(func.count()).select_from(MemberScore)) == run.scored
        started = time.perf_counter()
        bands = pyramid.value_pyramid(db.session)
        print(f"value_pyramid: {time.perf_counter() - started:.2f} s, "
              + ", ".join(f"{b.band} {b.members:,} ({b.share}%)" for b in bands))
        db.session.rollback()


if __name__ == "__main__":
    main()

"""Sending a campaign (issue #17) to 100,000 members on PostgreSQL: enqueue, send, memory.

    .venv/bin/python -m bench.campaign_bench [--keep] [--members 100000] [--bonus 10]
                                             [--no-worker]

Seeds its own database (valliance_campaign_bench, or CAMPAIGN_BENCH_DB; reset on every run
unless --keep finds it seeded with as many members): the members with their point accounts
and an opening balance (a transfer each, the accounts' totals), 95 % opted in to marketing,
phones, tiers; and an earlier daily campaign that reached 1 % of them four times in the last
30 days (so they are capped). Every run first removes the campaigns the previous run made
(their deliveries, runs and the outbox; reward transfers stay, the ledger is append-only).

Then, through the real services:

1. create_campaign (SMS, a template with {name} {tier} {balance}, a 10 % control group,
   --bonus points) for every member, and schedule it ("now");
2. "enqueue": run_campaign in this process at a `now` inside 09:00–21:00 Asia/Shanghai (so
   messages are sent, not deferred): each member decided, the delivery rows, the rewards and
   the outbox messages, a batch of 1,000 per commit;
3. "send": deliver_pending with the console SMS sender, called until nothing is pending
   (the sender's log lines go to a file, as a development server's would go to its log);
4. unless --no-worker, a second campaign alike through the job queue: enqueue_run on Redis
   (CAMPAIGN_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0, queue
   valliance_campaign_bench), run by a
   separate `flask jobs worker --burst` process (the send job, then the SMS delivery job it
   queues); its wall time, the run's and the delivery's span from the database, and the
   worker's peak RSS (wait4). This one runs at the real time: in Shanghai's quiet hours its
   messages are deferred, and the bench says so.

Prints the figures, this process's peak RSS after each step, and the load average at the start
and the end.
"""

import argparse
import logging
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from sqlalchemy import func, select

from bench.back_office_bench import run_timed
from bench.common import ROOT, db_url, ensure_database, fresh_app
from valliance import create_app, jobs
from valliance.db import SHANGHAI, utcnow
from valliance.extensions import db
from valliance.marketing.campaign_models import CampaignDelivery, CampaignRun
from valliance.marketing.services import campaign_lifecycle, campaign_schedule, send_rules
from valliance.marketing.services.campaign_send import run_campaign
from valliance.marketing.services.campaigns import create_campaign
from valliance.messaging import ConsoleSender, OutboxMessage, deliver_pending

BENCH_DB = os.environ.get("CAMPAIGN_BENCH_DB", "valliance_campaign_bench")
BENCH_REDIS_URL = os.environ.get("CAMPAIGN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
QUEUE = "valliance_campaign_bench"
NAME = "压测活动"
EARLIER = "cmp_bench_earlier"
MESSAGE = "{name}您好，您的{tier}账户现有{balance}积分，本周到店消费享双倍积分"
LOGS = Path(os.environ.get("CAMPAIGN_BENCH_LOGS", "/tmp"))

NOW = "(now() AT TIME ZONE 'utc')"


def seed_sql(members: int) -> list[str]:
    return [
        f"""INSERT INTO accounts (kind, owner_id, no_overdraft, created_at)
            SELECT 'member', 'cm' || g, true, {NOW} FROM generate_series(1, {members}) g""",
        f"""INSERT INTO members (id, phone, name, membership_status, tier, points_account_id,
                                 created_at, session_generation, marketing_opt_in)
            SELECT 'cm' || g, '16' || lpad(g::text, 9, '0'), '会员' || g, 'active',
                   CASE WHEN g % 20 = 0 THEN 'diamond' WHEN g % 10 = 0 THEN 'gold'
                        WHEN g % 5 = 0 THEN 'silver' ELSE 'standard' END,
                   a.id, {NOW} - (g % 730) * interval '1 day', 0, g % 20 <> 7
            FROM generate_series(1, {members}) g
            JOIN accounts a ON a.owner_id = 'cm' || g AND a.kind = 'member'""",
        """INSERT INTO transfers (debit_account_id, credit_account_id, amount, code, kind,
                                  reason, actor, created_at)
           SELECT {adjustments}, points_account_id, 100 + substr(id, 3)::int % 5000, 'ADJUST',
                  'adjust', 'opening_balance', 'bench', created_at
           FROM members ORDER BY created_at""",
        """UPDATE accounts a SET credits_posted = t.amount
           FROM transfers t WHERE t.credit_account_id = a.id AND t.reason = 'opening_balance'
           AND a.kind = 'member'""",
        # an earlier daily campaign reached 1 % of the members 4 times in the last 30 days:
        # under MARKETING_MAX_PER_30_DAYS (4) they are capped
        f"""INSERT INTO campaigns (id, name, status, channel, message, filters, bonus_points,
                                   control_percent, schedule_kind, daily_at, created_at,
                                   updated_at)
            VALUES ('{EARLIER}', '压测：之前的活动', 'scheduled', 'sms', '您好', '{{}}', 0, 0,
                    'daily', '10:00', {NOW} - interval '30 days', {NOW})""",
        f"""INSERT INTO campaign_deliveries (campaign_id, round, member_id, status, reached_at,
                                            sent_at, created_at)
            SELECT '{EARLIER}', to_char(d.at, 'YYYY-MM-DD'), m.id, 'sent', d.at, d.at, d.at
            FROM members m
            CROSS JOIN (SELECT {NOW} - k * interval '5 days' AS at
                        FROM generate_series(1, 4) k) d
            WHERE substr(m.id, 3)::int % 100 = 3""",
    ]


#: what the previous run made
CLEAR_SQL = [
    f"DELETE FROM campaign_deliveries WHERE campaign_id <> '{EARLIER}'",
    f"DELETE FROM campaign_runs WHERE campaign_id <> '{EARLIER}'",
    f"DELETE FROM campaigns WHERE id <> '{EARLIER}'",
    "DELETE FROM outbox_messages",
    "VACUUM ANALYZE campaign_deliveries",
    "VACUUM ANALYZE outbox_messages",
]


def seeded(url: str, members: int) -> bool:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            return (conn.execute("SELECT count(*) FROM members").fetchone()[0] == members
                    and conn.execute("SELECT count(*) FROM campaigns WHERE id = %s",
                                     (EARLIER,)).fetchone()[0] == 1)
    except psycopg.Error:
        return False


def seed(app, url: str, members: int) -> None:
    from valliance.points import system_account
    from valliance.points.rules import ALLIANCE_ADJUSTMENTS
    started = time.perf_counter()
    with app.app_context():
        adjustments = system_account(db.session.connection(), ALLIANCE_ADJUSTMENTS)
        db.session.commit()
    run_timed(url, [s.replace("{adjustments}", str(adjustments)) for s in seed_sql(members)])
    print(f"seeded in {time.perf_counter() - started:.0f} s")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def sending_now():
    """A moment inside 09:00–21:00 Asia/Shanghai, no later than now: now, or the last 20:00."""
    now = utcnow()
    if not send_rules.in_quiet_hours(now):
        return now
    local = now.astimezone(SHANGHAI)
    evening = local.replace(hour=20, minute=0, second=0, microsecond=0)
    if evening > local:
        evening -= timedelta(days=1)
    return evening.astimezone(now.tzinfo)


def new_campaign(label: str, bonus: int) -> str:
    """A campaign for every member through the services, scheduled to go now; its id."""
    campaign = create_campaign(db.session, {
        "name": f"{NAME}{label}{time.strftime('%H%M%S')}", "channel": "sms",
        "message": MESSAGE, "filters": {}, "bonus_points": bonus, "control_percent": 10,
        "schedule_kind": "now"}, actor="bench")
    campaign_lifecycle.schedule(db.session, campaign.id, actor="bench")
    campaign_id = campaign.id  # (read after the commit, it would open a transaction)
    db.session.commit()
    return campaign_id


def quiet_console_sender() -> Path:
    """The console sender's lines go to a file (not this terminal), still written one by one."""
    path = LOGS / "campaign_bench_sms.log"
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    sms = logging.getLogger("valliance.sms")
    sms.handlers[:] = [handler]
    sms.propagate = False
    return path


def in_process(campaign_id: str) -> None:
    now = sending_now()
    print(f"enqueue: run_campaign at {now.astimezone(SHANGHAI):%H:%M} Asia/Shanghai")
    started = time.perf_counter()
    counts = run_campaign(db.session, campaign_id, started_by="bench", now=now)
    seconds = time.perf_counter() - started
    print(f"  {counts.targeted:,} decided in {seconds:.1f} s = "
          f"{counts.targeted / seconds:,.0f} deliveries/s ({counts.as_json()})")
    print(f"  peak RSS of this process {peak_rss_mib():.0f} MiB")
    pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == "pending"))
    log = quiet_console_sender()
    print(f"send: deliver_pending with the console sender ({pending:,} pending; lines to {log})")
    sender, sent, calls = ConsoleSender(), 0, 0
    started = time.perf_counter()
    while True:
        calls += 1
        # campaign SMS go only before a deadline (the quiet hours): the bench gives a day
        done = deliver_pending(db.session, sender, marketing_until=utcnow() + timedelta(days=1))
        if not done:
            break
        sent += done
    seconds = time.perf_counter() - started
    print(f"  {sent:,} sent in {seconds:.1f} s = {sent / seconds:,.0f} messages/s "
          f"({calls} calls)")
    print(f"  peak RSS of this process {peak_rss_mib():.0f} MiB")


def through_worker(url: str, campaign_id: str) -> None:
    now = utcnow()
    if send_rules.in_quiet_hours(now):
        print("worker: NOTE it is the quiet hours in Asia/Shanghai: its messages are deferred")
    # a retry left waiting by an earlier run of the bench would run first
    queue = jobs.backend().queue
    for key in queue.connection.scan_iter(f"rq:*{QUEUE}*"):
        queue.connection.delete(key)
    campaign_schedule.enqueue_run(campaign_id, "bench")
    log = LOGS / "campaign_bench_worker.log"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": BENCH_REDIS_URL, "JOBS_QUEUE": QUEUE}
    print(f"worker: flask jobs worker --burst (its output to {log})")
    started = time.perf_counter()
    with log.open("w") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs",
                                   "worker", "--burst"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(worker.pid, 0)
        worker.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if worker.returncode:
        sys.exit(f"the worker failed ({worker.returncode}): see {log}")
    db.session.rollback()
    run = db.session.scalar(select(CampaignRun).where(CampaignRun.campaign_id == campaign_id))
    by_status = dict(db.session.execute(
        select(CampaignDelivery.status, func.count())
        .where(CampaignDelivery.campaign_id == campaign_id)
        .group_by(CampaignDelivery.status)).all())
    decided = sum(by_status.values())
    first, last, sent = db.session.execute(
        select(func.min(OutboxMessage.created_at), func.max(OutboxMessage.sent_at),
               func.count(OutboxMessage.sent_at))
        .where(OutboxMessage.id.in_(select(CampaignDelivery.outbox_message_id).where(
            CampaignDelivery.campaign_id == campaign_id)))).one()
    print(f"  worker process {seconds:.1f} s (with its start), exit {worker.returncode}")
    if run is None or run.finished_at is None:
        print("  the run did not finish: see the worker's log")
    else:
        ran = (run.finished_at - run.started_at).total_seconds()
        print(f"  run: {decided:,} decided in {ran:.1f} s = {decided / ran:,.0f} deliveries/s "
              f"({by_status})")
    if sent and last and run is not None and run.finished_at is not None:
        span = (last - run.finished_at).total_seconds()
        print(f"  delivery: {sent:,} sent, the last {span:.1f} s after the run ended "
              f"(first queued {first:%H:%M:%S}, last sent {last:%H:%M:%S} UTC)")
    else:
        print(f"  delivery: {sent or 0:,} sent")
    print(f"  worker peak RSS {usage.ru_maxrss / 1024:.0f} MiB, CPU user {usage.ru_utime:.1f} s "
          f"system {usage.ru_stime:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="reuse a seeded database")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--bonus", type=int, default=10, help="bonus points per member reached")
    parser.add_argument("--no-worker", action="store_true", help="skip the RQ worker run")
    args = parser.parse_args()
    print(f"load average at start: {load()} ({os.cpu_count()} CPUs)")
    ensure_database(BENCH_DB)
    url = db_url(BENCH_DB)

    class Cfg:
        DATABASE_URL = url
        REDIS_URL = BENCH_REDIS_URL
        JOBS_QUEUE = QUEUE

    if args.keep and seeded(url, args.members):
        app = create_app(Cfg)
        with app.app_context():
            upgrade()
    else:
        app, url = fresh_app(BENCH_DB)
        seed(app, url, args.members)
        app = create_app(Cfg)
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in CLEAR_SQL:
            conn.execute(statement)
    with app.app_context():
        in_process(new_campaign("", args.bonus))
        if not args.no_worker:
            through_worker(url, new_campaign("worker", args.bonus))
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()

"""Campaign sends on the real queue: two RQ workers (`flask jobs worker --burst`, separate
processes) with one campaign queued twice reach each member once, and the SMS go out."""

import os
import subprocess
import sys

from sqlalchemy import func, select

from tests.api.test_jobs import REDIS_URL, redis_jobs  # noqa: F401 (the fixture)
from tests.integration.test_campaign_send import campaign, members
from valliance.marketing.campaign_models import CampaignDelivery
from valliance.marketing.services.campaign_schedule import SEND_JOB
from valliance.messaging import OutboxMessage
from valliance.points import Transfer


def test_two_workers_with_a_campaign_queued_twice_reach_each_member_once(
        app, session, redis_jobs):  # noqa: F811
    people = members(session, 30)
    made = campaign(session, bonus=5)
    made.status = "scheduled"
    campaign_id, phones = made.id, [p.phone for p in people]
    session.commit()
    session.close()  # (on SQLite an open transaction would hold the write lock)
    redis_jobs.enqueue(SEND_JOB, (campaign_id,), "duplicate-1")
    redis_jobs.enqueue(SEND_JOB, (campaign_id,), "duplicate-2")
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "REDIS_URL": REDIS_URL, "JOBS_QUEUE": redis_jobs.queue.name,
           "SECRET_KEY": "test-secret-key", "FLASK_APP": "valliance"}
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0].decode(errors="replace")
               for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    session.expire_all()
    rows = session.execute(select(CampaignDelivery.member_id, CampaignDelivery.status)).all()
    assert len(rows) == len({member for member, _ in rows}) == len(phones)
    # sent now, or deferred to 09:00 when the workers ran in Shanghai's quiet hours
    assert {status for _, status in rows} <= {"sent", "deferred"}
    sent = sum(status == "sent" for _, status in rows)
    # the send job queued the delivery job, which handed every SMS to the (console) sender
    assert session.scalars(select(OutboxMessage.status)).all() == ["sent"] * sent
    assert session.scalar(select(func.count()).select_from(Transfer)
                          .where(Transfer.kind == "reward")) == 30

"""What the backup tests share: a history made through the real services, tills that keep
selling in other threads, a fresh empty database to restore into, and the shell's answers
(fixtures: import them into the test module)."""

import json
import threading
import time
from datetime import timedelta

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text

from tests.api.pos_helpers import member, pay_code, shop
from tests.conftest import ON_POSTGRES
from tests.databases import ADMIN_URL, create_postgres_test_database
from valliance import create_app
from valliance.config import TestConfig
from valliance.extensions import db
from valliance.merchants.models import Merchant
from valliance.merchants.services import purchases, refunds
from valliance.settlement import services as settlement

#: the tables whose rows the drills count in the source and in the restored copy
COUNTED = ("members", "purchases", "refunds", "transfers", "entries", "audit_events",
           "settlement_periods", "settlement_statements")
#: the PostgreSQL database restores go into (created empty for each test, then dropped)
RESTORED_DB = "valliance_backup_restored"


def history(session) -> tuple[str, list[str]]:
    """Members, purchases (points earned and spent), refunds and a closed settlement period;
    the till's merchant id and the cards of three members who go on buying."""
    noodles = shop(session, name="兰州拉面")
    hotpot = shop(session, name="老王火锅")
    rich, rich_card = member(session, points=5_000)
    _, poor_card = member(session)
    purchases.record_purchase(session, noodles.merchant, None, poor_card.number, 10_000, 0, None)
    sale = purchases.record_purchase(session, hotpot.merchant, None, pay_code(rich_card),
                                     20_000, 300, None)
    session.commit()
    refunds.refund_once(session, hotpot.merchant, sale.id, 10_000, token="drill-refund",
                        actor="merchant_user:drill")
    session.commit()
    period = settlement.period_of(sale.created_at)
    settlement.close_period(session, period,
                            now=settlement.period_bounds(period)[1] + timedelta(minutes=1))
    session.commit()
    buyers = [member(session)[1].number for _ in range(3)]
    merchant_id = noodles.merchant.id
    session.rollback()  # reading those began a transaction: on SQLite it holds the write lock
    return merchant_id, buyers


class Tills:
    """One thread per card, each selling ¥12.80 again and again at one merchant until
    stopped; `sold` counts the sales committed so far."""

    def __init__(self, app, merchant_id: str, cards: list[str]):
        self.app, self.merchant_id, self.cards = app, merchant_id, cards
        self.stop = threading.Event()
        self.done = [0] * len(cards)
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._sell, args=(i,)) for i in range(len(cards))]

    @property
    def sold(self) -> int:
        return sum(self.done)

    def _sell(self, i: int) -> None:
        with self.app.app_context():
            try:
                merchant = db.session.get(Merchant, self.merchant_id)
                while not self.stop.is_set():
                    purchases.record_purchase(db.session, merchant, None, self.cards[i],
                                              1_280, 0, None)
                    db.session.commit()
                    self.done[i] += 1
            except BaseException as exc:  # surfaced by __exit__
                self.errors.append(exc)
            finally:
                db.session.remove()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        deadline = time.monotonic() + 30
        while min(self.done) == 0 and not self.errors and time.monotonic() < deadline:
            time.sleep(0.01)  # every till has sold before the test goes on
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]


#: one statement, so one snapshot even in READ COMMITTED (counts taken one by one would
#: each see a later moment while the tills sell)
COUNT_ROWS = "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in COUNTED)


def count_rows(conn) -> dict[str, int]:
    """Rows in each counted table at one moment (conn: a SQLAlchemy connection or session)."""
    return dict(zip(COUNTED, conn.execute(text(COUNT_ROWS)).one(), strict=True))


def shell(app, *args: str) -> tuple[int, dict]:
    """Run `flask <args> --json` against app; its exit status and the one JSON object.

    The command runs in an app context of its own: inside another app's (a test's session),
    Flask would run it against that app."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[*args, "--json"])
    return result.exit_code, json.loads(result.output)


def _drop_restored() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(RESTORED_DB)))


@pytest.fixture
def restored_app(tmp_path):
    """An app configured for a fresh, empty database (nothing migrated into it)."""
    if ON_POSTGRES:
        _drop_restored()
        url = create_postgres_test_database(RESTORED_DB)
    else:
        url = f"sqlite:///{tmp_path / 'restored.db'}"

    class Restored(TestConfig):
        DATABASE_URL = url
        SECRET_KEY = "test-secret-key"  # noqa: S105 — tests only

    app = create_app(Restored)
    yield app
    with app.app_context():
        db.engine.dispose()
    if ON_POSTGRES:
        _drop_restored()

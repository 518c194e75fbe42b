"""Tills that keep selling and refunding through crashes, and the checks made afterwards.

Each till (a thread with a terminal key of its own) sends purchases, and refunds of its own
earlier purchases, each with an Idempotency-Key of its own. An attempt that ends without a
definite answer — the connection reset or refused, a timeout, a 5xx, 409
idempotency_in_progress — is sent again, the same request with the same key, until one
comes. Every answer the server does send must be JSON (contract §1).
"""

import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import psycopg

from tests.processes import flask

PURCHASES = "/api/v1/pos/purchases"
ERROR_KEYS = {"error", "message", "details"}  # contract §1
OPENING_POINTS = 1000
#: how long one request may go without a definite answer before the test fails
GIVE_UP_SECONDS = 60


@dataclass(frozen=True)
class World:
    """What the tills sell with: their terminal keys, the members' card numbers."""

    keys: list[str]
    cards: list[str]


@dataclass
class Outcome:
    """One request as the till finally saw it."""

    key: str
    path: str
    body: dict
    status: int = 0
    answer: dict = field(default_factory=dict)
    #: attempts before the definite answer (0: the first one was answered)
    retries: int = 0
    #: the definite answer was a replay: an earlier attempt had been recorded, its answer lost
    replayed: bool = False
    #: when the definite answer came (time.monotonic())
    answered_at: float = 0.0


def _retryable(status: int, answer: dict) -> bool:
    return status >= 500 or status == 429 or answer.get("error") == "idempotency_in_progress"


class Till:
    """One terminal's kept-alive connection; a new one after any failure."""

    def __init__(self, port: int, api_key: str):
        self.port, self.api_key = port, api_key
        self.conn: http.client.HTTPConnection | None = None
        #: what ended the attempts that got no definite answer
        self.failures: Counter = Counter()
        #: answers that broke the contract (not JSON, or an error without its body)
        self.broken: list[str] = []
        #: when the last attempt without a definite answer ended (time.monotonic())
        self.last_failure = 0.0

    def post(self, path: str, body: dict, key: str) -> tuple[int, dict, dict]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        self.conn.request("POST", path, body=json.dumps(body).encode(), headers={
            "Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json",
            "Idempotency-Key": key})
        response = self.conn.getresponse()
        raw = response.read()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        error = response.status >= 400
        if not isinstance(answer, dict) or (error and not answer.keys() >= ERROR_KEYS):
            self.broken.append(f"{response.status} {raw[:300]!r}")
        return response.status, dict(response.getheaders()), answer or {}

    def until_definite(self, path: str, body: dict, key: str) -> Outcome:
        """Send the request until it gets a definite answer (or GIVE_UP_SECONDS pass)."""
        outcome = Outcome(key, path, body)
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while True:
            try:
                status, headers, answer = self.post(path, body, key)
                if not _retryable(status, answer):
                    outcome.status, outcome.answer = status, answer
                    outcome.replayed = headers.get("Idempotent-Replayed") == "true"
                    outcome.answered_at = time.monotonic()
                    return outcome
                self.failures[str(status)] += 1
            except (OSError, http.client.HTTPException) as exc:
                self.failures[type(exc).__name__] += 1
                self.close()
            self.last_failure = time.monotonic()
            if time.monotonic() > deadline:
                return outcome  # status 0: never answered
            outcome.retries += 1
            time.sleep(0.05 * min(outcome.retries, 10))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Load:
    """Tills selling and refunding in threads until stopped."""

    def __init__(self, port: int, world: World, refund_share: float = 0.3):
        self.world, self.refund_share = world, refund_share
        self.stopping = threading.Event()
        self.tills = [Till(port, key) for key in world.keys]
        self.outcomes: list[list[Outcome]] = [[] for _ in self.tills]
        self.threads = [threading.Thread(target=self._sell, args=(n,), daemon=True)
                        for n in range(len(self.tills))]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(GIVE_UP_SECONDS + 30)
        for till in self.tills:
            till.close()

    def _sell(self, n: int) -> None:
        rng, till, outcomes = random.Random(n), self.tills[n], self.outcomes[n]
        remaining: dict[str, int] = {}  # this till's purchases: id → amount not yet refunded
        for count in range(1_000_000):
            if self.stopping.is_set():
                return
            refundable = [pid for pid, left in remaining.items() if left > 0]
            if refundable and rng.random() < self.refund_share:
                purchase_id = rng.choice(refundable)
                amount = rng.randint(1, remaining[purchase_id])
                path, body = f"{PURCHASES}/{purchase_id}/refunds", {"amount": amount}
            else:
                purchase_id = None
                body = {"card": rng.choice(self.world.cards), "amount": rng.randint(100, 50_000),
                        "reference": f"till{n}-{count}"}
                path = PURCHASES
            outcome = till.until_definite(path, body, f"crash-{n}-{count}")
            outcomes.append(outcome)
            if outcome.status != 201:
                return  # the test reports it
            if purchase_id is None:
                remaining[outcome.answer["id"]] = body["amount"]
            else:
                remaining[purchase_id] -= body["amount"]

    @property
    def all(self) -> list[Outcome]:
        return [outcome for outcomes in self.outcomes for outcome in outcomes]

    @property
    def last_failure(self) -> float:
        return max(till.last_failure for till in self.tills)

    def first_answer_after(self, moment: float) -> float:
        return min(o.answered_at for o in self.all if o.answered_at > moment)

    def figures(self) -> dict:
        outcomes = self.all
        failures = sum((till.failures for till in self.tills), Counter())
        return {"purchases": sum(o.path == PURCHASES for o in outcomes),
                "refunds": sum(o.path != PURCHASES for o in outcomes),
                "retried requests": sum(o.retries > 0 for o in outcomes),
                "failed attempts": dict(failures),
                "answered by a replay": sum(o.replayed for o in outcomes)}


def check_answers(load: Load) -> None:
    """Every request got a 201, every answer the server sent was the contract's JSON."""
    broken = [answer for till in load.tills for answer in till.broken]
    assert not broken, broken[:5]
    failed = [(o.key, o.status, o.answer) for o in load.all if o.status != 201]
    assert not failed, failed[:5]


def _differ(what: str, recorded: set, answered: set) -> str:
    return (f"{what}: {len(recorded - answered)} recorded without a 201 "
            f"{sorted(recorded - answered)[:3]}, {len(answered - recorded)} 201s not recorded "
            f"{sorted(answered - recorded)[:3]}")


def check_database(url: str, load: Load) -> None:
    """Each 201 recorded exactly once, nothing else recorded, the sums as the answers say."""
    outcomes = load.all
    bought = {o.answer["id"]: o for o in outcomes if o.path == PURCHASES}
    refunded = {o.answer["id"]: o for o in outcomes if o.path != PURCHASES}
    assert len(bought) + len(refunded) == len(outcomes)  # no two keys share a record
    with psycopg.connect(url) as conn:
        purchases = {row[0]: row[1:] for row in conn.execute(
            "SELECT id, amount, payable, points_earned, refunded_amount FROM purchases")}
        refunds = {row[0]: row[1:] for row in conn.execute(
            "SELECT id, purchase_id, amount, cash_refund, points_reversed FROM refunds")}
        stored = {row[0]: (row[1], json.loads(row[2])) for row in conn.execute(
            "SELECT key, status_code, response_body FROM idempotency_keys")}
        balances = dict(conn.execute(
            "SELECT c.number, a.credits_posted - a.debits_posted - a.owed FROM cards c"
            " JOIN members m ON m.id = c.member_id JOIN accounts a ON a.id = m.points_account_id"
        ).fetchall())
    assert set(purchases) == set(bought), _differ("purchases", set(purchases), set(bought))
    assert set(refunds) == set(refunded), _differ("refunds", set(refunds), set(refunded))
    keys = {o.key for o in outcomes}
    assert set(stored) == keys, _differ("idempotency keys", set(stored), keys)
    for o in outcomes:  # the key keeps the answer the till got
        assert stored[o.key] == (201, o.answer), o.key
    refunded_of: Counter = Counter()
    for refund_id, o in refunded.items():
        assert refunds[refund_id] == (o.answer["purchase_id"], o.answer["amount"],
                                      o.answer["cash_refund"], o.answer["points_reversed"])
        refunded_of[o.answer["purchase_id"]] += o.answer["amount"]
    for purchase_id, o in bought.items():
        assert purchases[purchase_id] == (o.body["amount"], o.answer["payable"],
                                          o.answer["points_earned"], refunded_of[purchase_id])
    expected = dict.fromkeys(balances, OPENING_POINTS)
    for o in bought.values():
        expected[o.body["card"]] += o.answer["points_earned"]
    for o in refunded.values():
        expected[bought[o.answer["purchase_id"]].body["card"]] -= o.answer["points_reversed"]
    assert balances == expected, {card: (balances[card], points)
                                  for card, points in expected.items() if balances[card] != points}


def check_replays(port: int, load: Load) -> None:
    """Each request sent again with its key answers the same 201, marked as a replay."""
    outcomes = load.all
    tills = {key: Till(port, key) for key in load.world.keys}
    owner = {o.key: load.world.keys[int(o.key.split("-")[1])] for o in outcomes}

    def replay(chunk: list[Outcome]) -> list[str]:
        wrong = []
        for o in chunk:
            till = tills[owner[o.key]]
            status, headers, answer = till.post(o.path, o.body, o.key)
            if (status, answer, headers.get("Idempotent-Replayed")) != (201, o.answer, "true"):
                wrong.append(f"{o.key}: {status} {answer}")
        return wrong

    by_till: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_till.setdefault(owner[o.key], []).append(o)
    results: list[list[str]] = []
    threads = [threading.Thread(target=lambda c=chunk: results.append(replay(c)))
               for chunk in by_till.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for till in tills.values():
        till.close()
    wrong = [line for lines in results for line in lines]
    assert len(results) == len(threads) and not wrong, wrong[:5]


def check_ledger(env: dict) -> None:
    verified = flask(env, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]

"""The ledger against a simple in-memory model, every invariant checked after every step."""

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.integration.ledger_helpers import open_members, open_shop
from valliance.db import utcnow
from valliance.errors import IdempotencyKeyReused, InsufficientPoints
from valliance.extensions import db
from valliance.points import accounts, ledger
from valliance.points.idempotency import claim_key, request_fingerprint, store_response
from valliance.points.verify import verify_ledger

EXAMPLES = int(os.environ.get("LEDGER_PROPERTY_EXAMPLES", "200"))
STEPS = int(os.environ.get("LEDGER_PROPERTY_STEPS", "30"))
MEMBERS = 3


@dataclass
class ModelLot:
    expires_at: datetime
    order: int
    transfer_id: int
    remaining: int


@dataclass
class ModelMember:
    balance: int = 0
    owed: int = 0
    lots: list[ModelLot] = field(default_factory=list)

    def take(self, points: int, first_transfer: int | None = None) -> list[list]:
        """Take points, soonest-expiring lots first; [[lot, taken, returned]] per lot used."""
        ordered = sorted(self.lots, key=lambda lot: (lot.transfer_id != first_transfer,
                                                     lot.expires_at, lot.order))
        draws = []
        for lot in ordered:
            used = min(lot.remaining, points)
            if used:
                draws.append([lot, used, 0])
            lot.remaining -= used
            points -= used
        assert points == 0, "model bug: lots did not cover a debit"
        self.balance = sum(lot.remaining for lot in self.lots)
        return draws


class LedgerModel(RuleBasedStateMachine):
    """Subclassed per test run with the app and the database reset bound in."""

    reset_database = None

    @initialize()
    def start(self):
        db.session.remove()  # a failed example may have left its transaction open
        type(self).reset_database()
        self.session = db.session
        self.shop = open_shop(self.session)
        self.accounts = open_members(self.session, MEMBERS)
        self.session.commit()
        self.clock = utcnow()
        self.members = {account: ModelMember() for account in self.accounts}
        self.reversible: dict[int, dict] = {}
        self.keys: dict[str, tuple[str, dict]] = {}
        self.lot_order = 0

    # --- the model's side of a credit ---------------------------------------------------
    def _model_credit(self, account, points, transfer_id, expires_at):
        member = self.members[account]
        self.lot_order += 1
        member.lots.append(ModelLot(expires_at, self.lot_order, transfer_id, points))
        member.balance += points
        self._model_collect(member, points)

    def _model_collect(self, member, points):
        paid = min(points, member.owed)
        if paid:
            member.owed -= paid
            member.take(paid)

    def _model_return(self, account, points, draws):
        """A refund's points go back into the lots the redemption spent, latest-expiring
        first; what lands in a lot past its date expires at once; then owed is collected."""
        member = self.members[account]
        left, expired = points, 0
        for draw in sorted(draws, key=lambda d: (d[0].expires_at, d[0].order), reverse=True):
            lot, taken, returned = draw
            back = min(taken - returned, left)
            if back <= 0:
                continue
            draw[2] += back
            left -= back
            if lot.expires_at > self.clock:
                lot.remaining += back
            else:
                expired += back
        assert left == 0, "model bug: a return beyond what was redeemed"
        member.balance = sum(lot.remaining for lot in member.lots)
        self._model_collect(member, points - expired)

    def _accrue(self, account, points, days):
        expires_at = self.clock + timedelta(days=days)
        posting = ledger.accrue(self.session, member_account=account,
                                source_account=self.shop.issued, points=points,
                                merchant_id=self.shop.merchant_id, expires_at=expires_at,
                                now=self.clock)
        self._model_credit(account, points, posting.transfer_id, expires_at)
        self.reversible[posting.transfer_id] = {"account": account, "left": points,
                                                "redeem": False}
        return posting

    # --- rules --------------------------------------------------------------------------
    @rule(member=st.integers(0, MEMBERS - 1), points=st.integers(1, 500),
          days=st.integers(1, 120))
    def accrue(self, member, points, days):
        self._accrue(self.accounts[member], points, days)
        self.session.commit()

    @rule(member=st.integers(0, MEMBERS - 1), points=st.integers(1, 600))
    def redeem(self, member, points):
        account = self.accounts[member]
        model = self.members[account]
        if points > model.balance:
            with pytest.raises(InsufficientPoints):
                ledger.redeem(self.session, member_account=account,
                              merchant_account=self.shop.redeemed, points=points, now=self.clock)
            self.session.rollback()
            return
        posting = ledger.redeem(self.session, member_account=account,
                                merchant_account=self.shop.redeemed, points=points,
                                now=self.clock)
        self.session.commit()
        draws = model.take(points)
        self.reversible[posting.transfer_id] = {"account": account, "left": points,
                                                "redeem": True, "draws": draws}

    @precondition(lambda self: any(t["left"] for t in self.reversible.values()))
    @rule(data=st.data())
    def reverse(self, data):
        candidates = sorted(t for t, info in self.reversible.items() if info["left"])
        transfer_id = data.draw(st.sampled_from(candidates))
        info = self.reversible[transfer_id]
        points = data.draw(st.integers(1, info["left"]))
        result = ledger.reverse(self.session, transfer_id, points, now=self.clock)
        self.session.commit()
        info["left"] -= points
        model = self.members[info["account"]]
        if info["redeem"]:
            self._model_return(info["account"], points, info["draws"])
            return
        taken = min(points, model.balance)
        model.take(taken, first_transfer=transfer_id)
        model.owed += points - taken
        assert (result.taken, result.owed_added) == (taken, points - taken)

    @rule(days=st.integers(0, 90))
    def advance_clock_and_expire(self, days):
        self.clock += timedelta(days=days)
        ledger.expire_due(self.session, now=self.clock)
        self.session.commit()
        for model in self.members.values():
            for lot in model.lots:
                if lot.expires_at <= self.clock:
                    lot.remaining = 0
            model.balance = sum(lot.remaining for lot in model.lots)

    @rule(member=st.integers(0, MEMBERS - 1),
          points=st.integers(-300, 300).filter(lambda p: p != 0))
    def adjust(self, member, points):
        account = self.accounts[member]
        model = self.members[account]
        if -points > model.balance:
            with pytest.raises(InsufficientPoints):
                ledger.adjust(self.session, member_account=account, points=points,
                              reason="correction", actor="test", now=self.clock)
            self.session.rollback()
            return
        posting = ledger.adjust(self.session, member_account=account, points=points,
                                reason="correction", actor="test", now=self.clock)
        self.session.commit()
        if points > 0:
            self._model_credit(account, points, posting.transfer_id,
                               ledger.default_expiry(self.clock))
        else:
            model.take(-points)

    @rule(key=st.sampled_from(["k1", "k2", "k3"]), member=st.integers(0, MEMBERS - 1),
          points=st.integers(1, 50))
    def idempotent_accrual(self, key, member, points):
        fingerprint = request_fingerprint("POST", "/test", {"member": member, "points": points})
        known = self.keys.get(key)
        if known and known[0] != fingerprint:
            with pytest.raises(IdempotencyKeyReused):
                claim_key(self.session, "test", key, fingerprint)
            self.session.rollback()
            return
        claim = claim_key(self.session, "test", key, fingerprint)
        if known:
            assert claim.replay is not None and claim.replay.body == known[1]
            self.session.rollback()
            return
        posting = self._accrue(self.accounts[member], points, 365)
        body = {"transfer_id": posting.transfer_id, "balance": posting.balance}
        store_response(self.session, claim, 201, body)
        self.session.commit()
        self.keys[key] = (fingerprint, body)

    # --- after every step -----------------------------------------------------------------
    @invariant()
    def every_invariant_holds(self):
        if not hasattr(self, "session"):
            return
        try:
            report = verify_ledger(self.session)
            assert report.ok, report.render()
            for account, model in self.members.items():
                stored = accounts.get_balance(self.session, account)
                assert (stored.balance, stored.owed) == (model.balance, model.owed)
                assert stored.balance >= 0
        finally:
            self.session.rollback()


def test_ledger_matches_its_model(app, empty_database):
    machine = type("BoundLedgerModel", (LedgerModel,), {"reset_database": staticmethod(
        empty_database)})
    with app.app_context():
        run_state_machine_as_test(machine, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None))
        db.session.remove()

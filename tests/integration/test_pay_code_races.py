"""One pay code, two tills, the same instant: one redemption (PostgreSQL, real concurrency)."""

import pytest
from sqlalchemy import func, select

from tests.api.pos_helpers import PURCHASES, QUOTE, member, pay_code, shop
from valliance.members.models import Card
from valliance.merchants.models import Purchase
from valliance.merchants.services import sale_context as pos_context
from valliance.points import accounts
from valliance.points.verify import verify_ledger

pytestmark = pytest.mark.postgres_only


def _post(app, url, body, headers):
    response = app.test_client().post(url, json=body, headers=headers)
    return response.status_code, response.get_json()


def test_two_tills_with_one_code_at_the_same_instant_get_one_redemption(app, session,
                                                                        run_threads,
                                                                        monkeypatch):
    laowang, other = shop(session), shop(session, "别家小馆")
    m, card = member(session, points=1000)
    code = pay_code(card)
    # Both tills have checked the code before either writes: the check alone cannot tell
    # them apart, the conditional UPDATE of the card's use count must.
    both_checked = __import__("threading").Barrier(2, timeout=10)
    price_sale = pos_context.price_sale

    def priced_together(*args, **kwargs):
        quote = price_sale(*args, **kwargs)
        both_checked.wait()
        return quote

    monkeypatch.setattr(pos_context, "price_sale", priced_together)
    session.rollback()
    answers = run_threads(2, lambda i: _post(
        app, PURCHASES, {"card": code, "amount": 1000, "redeem_points": 300},
        {**(laowang, other)[i].headers, "Idempotency-Key": f"till-{i}"}))

    assert sorted(status for status, _ in answers) == [201, 422], answers
    refused = next(body for status, body in answers if status == 422)
    assert refused["error"] == "pay_code_used"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Purchase)) == 1
    assert session.scalar(select(Card.pay_code_uses)) == 1
    assert accounts.get_balance(session, m.points_account_id).balance == 1000 - 300 + 7
    assert verify_ledger(session).ok
    monkeypatch.undo()
    assert _post(app, QUOTE, {"card": code, "amount": 1000, "redeem_points": 1},
                 laowang.headers)[1]["error"] == "pay_code_used"

"""积分抵话费's staff page: finance and marketing see what points spent on bills cost (points and
¥), the bills and members, what is held now and what was released; others may not."""

from tests.api.test_backoffice_finance import make_user
from tests.api.test_staff_pages import staff_log_in
from tests.integration.test_bill_points_stripe import enroll, start
from tests.payments_server import checkout_session, deliver, stripe_event

URL = "/staff/programmes/bill-points"


def test_the_page_is_for_finance_and_marketing_only(app, client):
    make_user(app, "care", "member_care")
    staff_log_in(client, "care")
    assert client.get(URL).status_code == 403


def test_an_empty_programme_says_so(app, client):
    make_user(app, "promo", "marketing")
    staff_log_in(client, "promo")
    html = client.get(URL).get_data(as_text=True)
    assert "还没有会员用积分缴话费。" in html
    assert "积分抵话费" in html


def test_the_page_shows_points_spent_held_and_released_in_points_and_yuan(app, client,
                                                                         stripe_keys,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "POINT_VALUE_FEN", 2)
    member = enroll(app, 20_000)
    spent = start(app, member, 12_850, 3000)  # ¥60.00 of points
    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(spent, 12_850 - 6000)))
    start(app, member, 5000, 1000)  # held
    failed = start(app, member, 5000, 500)
    deliver(client, stripe_event("checkout.session.expired",
                                 checkout_session(failed, 4000, payment_status="unpaid")))
    make_user(app, "cashbook", "finance")
    staff_log_in(client, "cashbook")
    html = client.get(URL).get_data(as_text=True)
    spent_row = html.split('data-testid="spent"')[1].split("</tr>")[0]
    assert "3,000" in spent_row and "¥60.00" in spent_row and ">1<" in spent_row
    held_row = html.split('data-testid="held"')[1].split("</tr>")[0]
    assert "1,000" in held_row and "¥20.00" in held_row
    released_row = html.split('data-testid="released"')[1].split("</tr>")[0]
    assert "500" in released_row and "¥10.00" in released_row
    assert "已扣除" in html and "冻结中" in html and "已退回" in html
    assert "¥128.50" in html and "¥68.50" in html
    assert "138****8000" in html
    liability = client.get("/staff/finance/liability").get_data(as_text=True)
    line = liability.split('data-testid="bill-points"')[1].split("</p>")[0]
    assert "3,000" in line and "¥60.00" in line and "冻结中 1,000" in line


def test_bills_paid_without_their_points_are_listed_for_finance(app, client, stripe_keys):
    from valliance import points
    from valliance.extensions import db
    member = enroll(app, 3000)
    make_user(app, "cashbook", "finance")
    staff_log_in(client, "cashbook")
    assert 'data-testid="uncollected"' not in client.get(URL).get_data(as_text=True)
    payment_id = start(app, member, 5000, 2500)
    deliver(client, stripe_event("checkout.session.expired",
                                 checkout_session(payment_id, 2500, payment_status="unpaid")))
    with app.app_context():  # the member spends the points given back, then the card pays
        points.adjust(db.session, member_account=member["account"], points=-2900,
                      reason="correction", actor="test")
        db.session.commit()
    deliver(client, stripe_event("checkout.session.completed",
                                 checkout_session(payment_id, 2500)))
    html = client.get(URL).get_data(as_text=True)
    section = html.split('data-testid="uncollected"')[1].split("</section>")[0]
    assert "积分未能扣除的缴费" in html and "138****8000" in section
    assert "¥50.00" in section and "2,500" in section and "¥25.00" in section

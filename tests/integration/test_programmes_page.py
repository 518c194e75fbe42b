"""会员计划 (issue #18): the programmes side by side — each card's cost and result are the
programme's own figures (the numbers its page shows), each card links to its page, and staff
see the programmes their roles open."""

import re

from flask import current_app

from tests.api.test_backoffice_finance import make_user
from tests.api.test_staff_pages import staff_log_in
from valliance.backoffice.services.programmes import programmes
from valliance.db import utcnow
from valliance.extensions import db
from valliance.money import format_yuan

KEYS = ["coupons", "coupon_rules", "birthday", "invitations", "winback", "expiry",
        "bill_points"]


def _cards(page: str) -> dict:
    return {key: body for key, body in re.findall(
        r'<section class="card programme-card" data-programme="(\w+)">(.*?)</section>', page,
        re.S)}


def test_the_demo_programmes_each_show_their_cost_and_link_their_page(app, client):
    seeded = app.test_cli_runner().invoke(args=["demo", "seed", "--force", "--json"])
    assert seeded.exit_code == 0, seeded.output
    make_user(app, "promo", "marketing")
    assert staff_log_in(client, "promo").status_code == 302
    page = client.get("/staff/programmes/").get_data(as_text=True)
    cards = _cards(page)
    assert list(cards) == KEYS
    with app.app_context():
        figures = {p.key: p for p in programmes(
            db.session, now=utcnow(), point_value_fen=current_app.config["POINT_VALUE_FEN"])}
        db.session.remove()
    for key, body in cards.items():
        cost = re.search(r'data-testid="cost">([^<]*)', body).group(1).strip()
        want = figures[key].cost_fen  # None: counted under 优惠券 (满就送's coupons)
        assert cost == format_yuan(want) if want is not None else "计入优惠券" in body, key
        link = re.search(r'<h2><a href="([^"]+)"', body).group(1)
        assert client.get(link).status_code == 200, (key, link)
    # every programme of the demo has something to show
    assert figures["coupons"].result["used"] > 0 and figures["coupons"].cost_fen > 0
    assert figures["coupon_rules"].result["granted"] > 0
    assert figures["birthday"].result["gifts"] > 0
    assert figures["invitations"].result["rewarded"] > 0
    assert figures["winback"].result["reached"] > 0
    assert figures["expiry"].result["messages"] > 0
    assert figures["bill_points"].result["bills"] > 0
    # the navigation has one entry for them, marked on the overview and on each programme
    assert re.search(r'href="/staff/programmes/"[^>]*aria-current="page"', page)
    assert page.count('aria-current="page"') == 1


def test_finance_sees_the_programmes_it_may_open_and_others_none(app, client):
    make_user(app, "money", "finance")
    assert staff_log_in(client, "money").status_code == 302
    page = client.get("/staff/programmes/").get_data(as_text=True)
    assert list(_cards(page)) == ["expiry", "bill_points"]  # the empty state of each: zeros
    assert "¥0.00" in page
    make_user(app, "care", "member_care")
    other = app.test_client()
    assert staff_log_in(other, "care").status_code == 302
    assert other.get("/staff/programmes/").status_code == 403
    assert app.test_client().get("/staff/programmes/").status_code == 302  # to sign in

"""The member page shows the member's RFM cell; the dashboard draws the value pyramid."""

import re
from datetime import timedelta

from tests.api.pos_helpers import member, shop
from tests.api.test_backoffice_members import PASSWORD, make_staff
from tests.api.test_staff_pages import staff_log_in
from valliance.db import utcnow
from valliance.extensions import db
from valliance.marketing.services import rfm
from valliance.merchants.services import purchases


def _scored_members(app) -> tuple[str, str]:
    """Two members: one who spent yesterday (scored), one who never did; their ids."""
    with app.app_context():
        session = db.session
        hotpot = shop(session)
        buyer, card = member(session)
        idle, _ = member(session)
        purchases.record_purchase(session, hotpot.merchant, None, card.number, 12_345, 0, None,
                                  at=utcnow() - timedelta(days=1))
        rfm.score_members(session)
        session.commit()
        ids = buyer.id, idle.id
        db.session.remove()
    return ids


def test_the_member_page_shows_the_rfm_cell_or_that_there_is_none(app, client):
    buyer, idle = _scored_members(app)
    make_staff(app, "carer", ("member_care",))
    assert staff_log_in(client, "carer", PASSWORD).status_code == 302
    page = client.get(f"/staff/members/{buyer}").get_data(as_text=True)
    cell = re.search(r'id="rfm-cell">(.*?)</dd>', page, re.S).group(1)
    # one active member: every score is 1 + 5·0/1 = 1, low on all three
    assert "一般挽留客户" in cell and "R1 F1 M1" in cell
    assert "评分于" in cell
    page = client.get(f"/staff/members/{idle}").get_data(as_text=True)
    assert "未评分" in re.search(r'id="rfm-cell">(.*?)</dd>', page, re.S).group(1)
    page = client.get(f"/staff/members/{buyer}?lang=en").get_data(as_text=True)
    cell = re.search(r'id="rfm-cell">(.*?)</dd>', page, re.S).group(1)
    assert "General customers to win back" in cell and "scored" in cell


def test_the_dashboard_shows_the_value_pyramid(app, client):
    _scored_members(app)
    make_staff(app, "carer", ("member_care",))
    assert staff_log_in(client, "carer", PASSWORD).status_code == 302
    page = client.get("/staff/").get_data(as_text=True)
    section = re.search(r'id="value-pyramid">(.*?)</section>', page, re.S).group(1)
    rows = dict(re.findall(r'data-band="(\w+)">(.*?)</tr>', section, re.S))
    assert list(rows) == ["top1", "next4", "next15", "rest", "none"]
    assert "¥123.45" in rows["top1"] and "100.0%" in rows["top1"]
    cells = re.findall(r'<td class="num">([^<]*)</td>', rows["none"])
    assert cells[:3] == ["1", "¥0.00", "0.0%"]  # members, spend, share; then the tiers

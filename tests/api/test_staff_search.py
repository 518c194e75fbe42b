"""Staff search the merchants of every status: an approved, rejected or suspended merchant is
found from the pending tab, with its status shown, and an empty search says what it searched."""

import re

from tests.api.test_merchant_apply import apply_in_db
from tests.api.test_staff_pages import staff  # noqa: F401 — a fixture


def _rows(html: str) -> list[tuple[str, str]]:
    """(name, status shown) per result row."""
    return re.findall(r'<td><a href="/staff/merchants/[^"]+">([^<]+)</a></td>\s*'
                      r'<td[^>]*><span class="badge status-\w+" data-status="\w+">([^<]+)</span>',
                      html)


def test_a_search_finds_merchants_of_every_status_and_shows_each_status(app, client,
                                                                        staff):  # noqa: F811
    apply_in_db(app, 1, name="五马街汤圆")
    apply_in_db(app, 2, status="approved", name="五马街烧烤")
    apply_in_db(app, 3, status="rejected", name="五马街奶茶")
    apply_in_db(app, 4, status="suspended", name="五马街面馆")
    apply_in_db(app, 5, status="approved", name="江心屿咖啡")
    # typed on the pending tab: the search form does not keep the tab
    html = client.get("/staff/merchants?q=五马街").get_data(as_text=True)
    assert _rows(html) == [("五马街面馆", "已暂停"), ("五马街奶茶", "未通过"),
                           ("五马街烧烤", "已加盟"), ("五马街汤圆", "待审核")]
    assert 'data-status="all" aria-current="page"' in html
    assert 'name="status"' not in html  # no hidden tab in the search form
    english = client.get("/staff/merchants?q=烧烤&lang=en").get_data(as_text=True)
    assert _rows(english) == [("五马街烧烤", "Approved")]


def test_an_approved_merchant_is_found_by_its_licence_number(app, client, staff):  # noqa: F811
    merchant = apply_in_db(app, 7, status="approved", name="老王火锅")
    html = client.get(f"/staff/merchants?q={merchant['licence']}").get_data(as_text=True)
    assert _rows(html) == [("老王火锅", "已加盟")]
    assert "待审核商户" not in html


def test_an_empty_search_says_it_looked_through_every_status(app, client, staff):  # noqa: F811
    apply_in_db(app, 1, status="approved", name="五马街烧烤")
    html = client.get("/staff/merchants?q=不存在").get_data(as_text=True)
    assert "所有状态中都没有符合“不存在”的商户。" in html and "<table" not in html
    english = client.get("/staff/merchants?q=nothing&lang=en").get_data(as_text=True)
    assert "No merchant, in any status, matches “nothing”." in english
    # a chosen tab still narrows, and says so
    html = client.get("/staff/merchants?q=五马街&status=pending&lang=zh_CN").get_data(
        as_text=True)
    assert "没有符合“五马街”的待审核商户。" in html


def test_clearing_a_search_of_every_status_goes_back_to_the_pending_tab(app, client,
                                                                         staff):  # noqa: F811
    html = client.get("/staff/merchants?q=五马街").get_data(as_text=True)
    assert 'class="clear" href="/staff/merchants"' in html
    html = client.get("/staff/merchants?q=五马街&status=approved").get_data(as_text=True)
    assert 'class="clear" href="/staff/merchants?status=approved"' in html

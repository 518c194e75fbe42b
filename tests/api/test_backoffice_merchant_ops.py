"""Merchant operations in the back office (merchant_ops): the merchant file, revoking a
terminal, correcting a merchant's listing (the directory re-ranks), bulk import from the page
and who may do each — through the test client, CSRF on."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.api.pos_helpers import member, pay_code, shop
from tests.api.test_merchant_apply import PASSWORD, csrf_of, post_form
from tests.api.test_staff_pages import staff_log_in
from valliance.audit import AuditEvent
from valliance.backoffice.import_jobs import MerchantImport
from valliance.backoffice.services import merchant_imports
from valliance.db import SHANGHAI, utcnow
from valliance.directory import search
from valliance.directory import services as directory
from valliance.extensions import db
from valliance.merchants.models import Merchant, Offer, Purchase, Terminal
from valliance.merchants.services import activity, merchant_users, offers, terminals
from valliance.merchants.services import purchases as pos
from valliance.merchants.services.onboarding import create_merchant
from valliance.settlement import services as settlement
from valliance.settlement.models import Statement
from valliance.staff import services as staff_services

HEADER = "name,category,district,address,phone,avg_spend,title,percent_off,points_per_yuan\n"


def make_staff(app, username: str, roles: tuple[str, ...]) -> str:
    with app.app_context():
        staff = staff_services.create_staff_user(db.session, username=username, name="运营小陈",
                                                 password=PASSWORD, roles=roles)
        db.session.commit()
        return staff.id


@pytest.fixture
def ops(app, client):
    """A signed-in merchant_ops staff user; its id."""
    staff_id = make_staff(app, "ops", ("merchant_ops",))
    assert staff_log_in(client, "ops").status_code == 302
    return staff_id


@pytest.fixture
def merchant_id(app):
    """老王火锅: an offer (12% off, 2 points per yuan), a terminal, an owner."""
    with app.app_context():
        made = shop(db.session, offer={"percent_off": 12, "points_per_yuan": 2})
        merchant = db.session.get(Merchant, made.merchant.id)
        merchant_users.add_merchant_user(db.session, merchant, phone="13700000001",
                                         name="王老板", password=PASSWORD, role="owner",
                                         actor="test")
        db.session.commit()
        return merchant.id


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return found


# --- the merchant file ----------------------------------------------------------------------


def test_the_file_shows_sales_points_referrals_and_statements_of_the_month(
        app, client, ops, merchant_id, clear_of_month_end):
    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        _, card = member(db.session, points=500, phone="13800001111")
        pos.record_purchase(db.session, merchant, None, pay_code(card), 10_000, 0, None)
        pos.record_purchase(db.session, merchant, None, pay_code(card), 2_000, 300, None)
        operator, key = directory.create_operator(db.session, "一号台")
        seat = directory.operator_for_key(db.session, key)
        directory.create_referral(db.session, seat, caller="13800001111",
                                  merchant_id=merchant_id, offer_id=None,
                                  at=utcnow() - timedelta(minutes=5))
        db.session.commit()
        # what the page must say, computed apart from the page's own queries
        amount, discount, earned, redeemed = db.session.execute(select(
            func.sum(Purchase.amount), func.sum(Purchase.discount),
            func.sum(Purchase.points_earned), func.sum(Purchase.redeem_points)).where(
            Purchase.merchant_id == merchant_id)).one()
        period = settlement.period_of(utcnow())
        settlement.close_period(db.session, period,
                                now=settlement.period_bounds(period)[1] + timedelta(minutes=1))
        db.session.commit()
        statement = db.session.scalar(select(Statement).where(
            Statement.merchant_id == merchant_id))
        assert (statement.points_issued, statement.points_redeemed) == (earned, redeemed)

    html = page(client, f"/staff/merchants/{merchant_id}")
    for section in ("review", "summary", "sales", "offers", "terminals", "accounts",
                    "statements", "history"):
        assert f'id="{section}"' in html, section
    row = re.search(rf'<tr data-month="{period}">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td[^>]*>(.*?)</td>', row, re.S)
    assert cells[1:] == ["2", f"¥{amount / 100:,.2f}", f"¥{discount / 100:,.2f}",
                         f"{earned:,}", f"{redeemed:,}", "1", "1"]
    assert earned > 0 and redeemed == 300
    assert re.search(r'id="total-purchases">2<', html)
    assert '<svg class="sales-chart"' in html and "<rect class=\"bar\"" in html
    assert "会员折扣" in html and "王老板" in html and "13700000001" in html
    assert period in html  # the statement's month; only finance follows the link
    assert f'/staff/settlement/{period}"' not in html
    assert merchant_id not in re.sub(r'(action|href)="[^"]*"', "", html)  # no internal ids


def test_an_admin_follows_the_statement_to_the_period(app, client, merchant_id,
                                                     clear_of_month_end):
    make_staff(app, "boss", ("admin",))
    staff_log_in(client, "boss")
    with app.app_context():
        _, card = member(db.session)
        pos.record_purchase(db.session, db.session.get(Merchant, merchant_id), None,
                            pay_code(card), 5_000, 0, None)
        period = settlement.period_of(utcnow())
        settlement.close_period(db.session, period,
                                now=settlement.period_bounds(period)[1] + timedelta(minutes=1))
        db.session.commit()
    html = page(client, f"/staff/merchants/{merchant_id}")
    assert f'href="/staff/settlement/{period}"' in html


def test_a_merchant_with_nothing_yet_says_so(app, client, ops):
    with app.app_context():
        merchant = create_merchant(db.session, name="新开的小店", category="零售",
                                   district="瓯海区", avg_spend=3000, approved=True)
        db.session.commit()
        merchant_id = merchant.id
    html = page(client, f"/staff/merchants/{merchant_id}")
    assert "近12个月没有销售、积分或114推荐。" in html and "<svg" not in html
    for empty in ("该商户还没有优惠。", "该商户还没有收银终端。", "还没有结算单"):
        assert empty in html
    english = page(client, f"/staff/merchants/{merchant_id}?lang=en")
    assert "No sales, points or 114 referrals in the last 12 months" in english
    assert "POS terminals" in english


def test_the_review_actions_are_at_the_top_of_the_file(app, client, ops, merchant_id):
    response = post_form(client, f"/staff/merchants/{merchant_id}/suspend",
                         {"suspend-note": "拖欠结算款"}, page=f"/staff/merchants/{merchant_id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/merchants/{merchant_id}")
    html = page(client, response.headers["Location"])
    assert "已暂停：老王火锅" in html and "拖欠结算款" in html
    assert html.index('id="review"') < html.index('id="sales"')
    [event] = events(app, "merchant.suspend")
    assert event.actor == f"staff:{ops}"


# --- revoking a terminal ----------------------------------------------------------------------


def _terminal(app, merchant_id) -> tuple[str, str]:
    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        terminal, key = terminals.create_terminal(db.session, merchant, "二号收银台")
        db.session.commit()
        return terminal.id, key


def test_revoking_a_terminal_needs_a_reason_and_is_audited(app, client, ops, merchant_id):
    terminal_id, key = _terminal(app, merchant_id)
    url = f"/staff/merchants/{merchant_id}/terminals/{terminal_id}/revoke"
    refused = post_form(client, url, {"reason": " "}, page=f"/staff/merchants/{merchant_id}")
    assert refused.status_code == 200 and "必填" in refused.get_data(as_text=True)
    assert "<details class=\"revoke\" open>" in refused.get_data(as_text=True)
    with app.app_context():
        assert terminals.terminal_for_key(db.session, key) is not None

    done = post_form(client, url, {"reason": "收银机丢失"}, page=f"/staff/merchants/{merchant_id}")
    assert done.status_code == 302
    html = page(client, done.headers["Location"])
    assert "终端“二号收银台”已停用。" in html
    with app.app_context():
        assert terminals.terminal_for_key(db.session, key) is None
        assert db.session.get(Terminal, terminal_id).revoked_at is not None
    [event] = events(app, "terminal.revoke")
    assert (event.actor, event.reason, event.merchant_id) == (
        f"staff:{ops}", "收银机丢失", merchant_id)

    # another merchant's terminal is not found through this merchant's file
    other = shop_id(app, "江心屿咖啡")
    response = post_form(client, f"/staff/merchants/{other}/terminals/{terminal_id}/revoke",
                         {"reason": "x"}, page=f"/staff/merchants/{merchant_id}")
    assert response.status_code == 404


def shop_id(app, name: str) -> str:
    with app.app_context():
        return shop(db.session, name).merchant.id


def test_many_terminals_with_long_names_are_all_listed(app, client, ops, merchant_id):
    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        for n in range(12):
            terminals.create_terminal(db.session, merchant, f"{'很长的终端名称' * 6}{n}")
        db.session.commit()
    html = page(client, f"/staff/merchants/{merchant_id}")
    assert html.count('class="terminal"') == 13 and "13 / 13" in html


# --- editing the listing: the directory re-ranks ---------------------------------------------


def _ranked(app, **where) -> list[str]:
    with app.app_context():
        _, hits = search.search_offers(db.session, search.SearchQuery(
            category="餐饮", tier="standard", limit=20, offset=0, **where))
        db.session.rollback()
        return [hit.merchant.name for hit in hits]


def test_editing_typical_spend_and_district_re_ranks_the_directory(app, client, ops):
    with app.app_context():
        ids = {}
        for name, spend in (("阿福面馆", 5000), ("百味小厨", 9000)):
            merchant = create_merchant(db.session, name=name, category="餐饮",
                                       district="鹿城区", avg_spend=spend, approved=True)
            offers.create_offer(db.session, merchant, title="会员九折", percent_off=10)
            ids[name] = merchant.id
        db.session.commit()
    # equal discounts: the lower typical spend first
    assert _ranked(app, district="鹿城区") == ["阿福面馆", "百味小厨"]
    edit = f"/staff/merchants/{ids['百味小厨']}/edit"
    form = {"category": "餐饮", "district": "鹿城区", "avg_spend": "30", "reason": ""}
    refused = post_form(client, edit, form)
    assert refused.status_code == 200 and "必填" in refused.get_data(as_text=True)
    assert _ranked(app, district="鹿城区") == ["阿福面馆", "百味小厨"]

    done = post_form(client, edit, {**form, "reason": "商户来电更正人均"})
    assert done.status_code == 302
    assert _ranked(app, district="鹿城区") == ["百味小厨", "阿福面馆"]
    [event] = events(app, "merchant.edit")
    assert (event.actor, event.reason) == (f"staff:{ops}", "商户来电更正人均")
    assert event.details["changed"] == ["avg_spend"]
    assert event.details["before"] == {"avg_spend": 9000}
    with app.app_context():  # the merchant's own activity trail tells it
        [line] = activity.describe(db.session, ids["百味小厨"], [event])
        assert line.text == "联盟工作人员 修改了本店的行业、区域或人均消费"

    post_form(client, edit, {**form, "district": "瓯海区", "reason": "搬店"})
    assert _ranked(app, district="鹿城区") == ["阿福面馆"]
    assert _ranked(app, district="瓯海区") == ["百味小厨"]
    html = page(client, f"/staff/merchants/{ids['百味小厨']}")
    assert "修改资料" in html and "搬店" in html and "瓯海区" in html


def test_a_bad_typical_spend_is_refused_on_the_form(app, client, ops, merchant_id):
    response = post_form(client, f"/staff/merchants/{merchant_id}/edit",
                         {"category": "餐饮", "district": "鹿城镇", "avg_spend": "abc",
                          "reason": "x"})
    assert response.status_code == 200 and "请填写金额" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Merchant, merchant_id).avg_spend == 8000


# --- bulk import ----------------------------------------------------------------------------


def upload(client, data: bytes, filename: str = "merchants.csv"):
    html = page(client, "/staff/merchants/import")
    return client.post("/staff/merchants/import", data={
        "csrf_token": csrf_of(html), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")


def run_to_the_end(client, location: str) -> dict:
    html = page(client, location)
    token = csrf_of(html)
    import_id = location.rsplit("/", 1)[1]
    steps = 0
    while True:
        response = client.post(f"/staff/merchants/imports/{import_id}/step",
                               data={"csrf_token": token},
                               headers={"Accept": "application/json"})
        assert response.status_code == 200
        progress = response.get_json()
        steps += 1
        if progress["status"] != "running":
            progress["steps"] = steps
            return progress


ROWS = ("老王火锅,餐饮,鹿城区,五马街1号,0577-1,8000,会员9折,10,2\n"
        "老王火锅,餐饮,鹿城区,五马街1号,0577-1,8000,周二88折,12,1\n"
        "江心屿咖啡,餐饮,鹿城区,江心屿,0577-2,3500,第二杯半价,20,1\n"
        "瓯海书店,零售,瓯海区,,,0,会员95折,5,\n"
        "温州足浴,生活服务,龙湾区,,,12000,会员85折,15,3\n")


def test_import_shows_progress_writes_in_chunks_and_re_running_skips(app, client, ops,
                                                                    monkeypatch):
    monkeypatch.setattr(merchant_imports, "CHUNK", 2)
    response = upload(client, (HEADER + ROWS).encode())
    assert response.status_code == 303
    location = response.headers["Location"]
    html = page(client, location)
    assert "<progress" in html and 'max="5" value="0"' in html
    status = client.get(location + "/status").get_json()
    assert (status["status"], status["total"], status["done"]) == ("running", 5, 0)

    progress = run_to_the_end(client, location)
    assert progress["steps"] == 2  # 5 rows, 2 a chunk, and 老王火锅's two rows kept together
    assert (progress["status"], progress["created"], progress["updated"],
            progress["skipped"]) == ("done", 5, 0, 0)
    html = page(client, location)
    assert re.search(r'id="created">5<', html) and "导入完成" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Merchant)) == 4
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 5
        assert db.session.scalar(select(MerchantImport.rows)) is None  # not kept once done
    [done] = events(app, "merchant_import.done")
    assert done.actor == f"staff:{ops}" and done.details["created"] == 5

    # the same file again: nothing new; one row changed: one update
    again = run_to_the_end(client, upload(client, (HEADER + ROWS).encode()).headers["Location"])
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, 5)
    changed = ROWS.replace("第二杯半价,20", "第二杯半价,25")
    once_more = run_to_the_end(client, upload(client, (HEADER + changed).encode())
                               .headers["Location"])
    assert (once_more["created"], once_more["updated"], once_more["skipped"]) == (0, 1, 4)
    # a finished import is not written twice
    assert run_to_the_end(client, location)["created"] == 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Offer)) == 5


def test_a_file_with_bad_rows_is_refused_whole_with_each_line(app, client, ops):
    bad = (HEADER + ROWS.replace("瓯海书店,零售", "瓯海书店,书店")
           + "温州足浴,生活服务,龙湾区,,,12000,会员85折,150,3\n")
    response = upload(client, bad.encode("utf-8-sig"))
    assert response.status_code == 303
    html = page(client, response.headers["Location"])
    assert "一行也没有导入" in html
    lines = re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td></tr>', html, re.S)
    assert [line for line, _ in lines] == ["5", "7"]
    assert "书店" in lines[0][1] and " / " not in lines[0][1]  # in the page's language only
    assert "须在 0 到 90 之间" in lines[1][1] and " / " not in lines[1][1]  # a rule quoted too
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Merchant)) == 0
    english = page(client, response.headers["Location"] + "?lang=en")
    assert "nothing was imported" in english and "须为" not in english
    assert "between 0 and 90" in english and "须在" not in english


@pytest.mark.parametrize(("data", "message"), [
    ("名称,行业\n老王,餐饮\n".encode(), "表头不对"),
    ((HEADER + ROWS).encode("gbk"), "不是 UTF-8 编码"),
    (b"", "文件是空的"),
    (HEADER.encode(), "没有数据行"),
    ((HEADER + "x" * 200_000 + ",餐饮,鹿城区,,,1,a,1,1\n").encode(), "无法按 CSV 读取"),
])
def test_a_wrong_file_is_refused_with_a_plain_message(app, client, ops, data, message):
    response = upload(client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MerchantImport)) == 0


def test_a_file_too_large_is_refused(app, client, ops, monkeypatch):
    monkeypatch.setattr(merchant_imports, "MAX_UPLOAD_BYTES", 100)
    response = upload(client, (HEADER + ROWS).encode())
    assert response.status_code == 422 and "文件过大" in response.get_data(as_text=True)
    page_html = page(client, "/staff/merchants/import")
    assert 'data-max-bytes="100"' in page_html  # the page's script refuses it before sending


def test_a_nul_byte_in_the_file_is_refused_plainly(app, client, ops):
    """PostgreSQL stores no NUL: such a file used to be accepted and then fail every chunk."""
    response = upload(client, (HEADER + ROWS.replace("老王火锅", "老王\x00火锅", 1)).encode())
    assert response.status_code == 422
    assert "无法处理的字符" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MerchantImport)) == 0


def test_a_nul_byte_in_the_file_name_is_no_500(app, client, ops):
    response = upload(client, (HEADER + ROWS).encode(), filename="a\x00b.csv")
    assert response.status_code == 303
    assert "a\\u0000b.csv" in page(client, "/staff/merchants/import")


def test_no_file_chosen(app, client, ops):
    html = page(client, "/staff/merchants/import")
    response = client.post("/staff/merchants/import", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 422 and "请选择要上传的 CSV 文件" in response.get_data(
        as_text=True)


# --- who may ---------------------------------------------------------------------------------


def _routes(merchant_id: str, terminal_id: str, import_id: str) -> list[tuple[str, str]]:
    base = f"/staff/merchants/{merchant_id}"
    return [("GET", base), ("POST", f"{base}/approve"), ("GET", f"{base}/edit"),
            ("POST", f"{base}/edit"), ("POST", f"{base}/terminals/{terminal_id}/revoke"),
            ("GET", "/staff/merchants/import"), ("POST", "/staff/merchants/import"),
            ("GET", f"/staff/merchants/imports/{import_id}"),
            ("GET", f"/staff/merchants/imports/{import_id}/status"),
            ("POST", f"/staff/merchants/imports/{import_id}/step")]


@pytest.fixture
def routes(app, merchant_id):
    terminal_id, _ = _terminal(app, merchant_id)
    staff_id = make_staff(app, "maker", ("admin",))
    with app.app_context():
        job = MerchantImport(id="imp_test", filename="a.csv", status="done", total=0,
                             position=0, created=0, updated=0, skipped=0, made_by=staff_id,
                             created_at=utcnow())
        db.session.add(job)
        db.session.commit()
    return _routes(merchant_id, terminal_id, "imp_test")


def _call(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    login = client.get("/staff/login")  # a staff user is sent on to the dashboard
    token = csrf_of((client.get("/staff/") if login.status_code == 302 else login)
                    .get_data(as_text=True))
    return client.post(url, data={"csrf_token": token})


@pytest.mark.parametrize("roles", [("member_care",), ("finance",), ("marketing",),
                                   ("service_desk",)])
def test_other_roles_get_403_on_every_route(app, client, routes, roles):
    make_staff(app, "other", roles)
    staff_log_in(client, "other")
    for method, url in routes:
        response = _call(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)
        if method == "GET":
            assert "商户运营" in response.get_data(as_text=True)  # names who may


def test_merchant_ops_and_admin_open_every_page(app, client, routes):
    make_staff(app, "ops", ("merchant_ops",))
    staff_log_in(client, "ops")
    for method, url in routes:
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_a_merchant_user_gets_403_and_a_visitor_signs_in(app, client, routes):
    anonymous = app.test_client()
    for method, url in routes:
        response = _call(anonymous, method, url) if method == "GET" else None
        if response is not None:
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    post_form(client, "/merchant/login", {"phone": "13700000001", "password": PASSWORD})
    for method, url in routes:
        response = _call(client, method, url)
        assert response.status_code in (403,), (method, url, response.status_code)


# --- the months --------------------------------------------------------------------------------


def test_twelve_months_end_with_this_one_across_a_new_year():
    from datetime import date

    from valliance.backoffice.services.merchant_file import month_starts
    firsts = month_starts(date(2026, 1, 15))
    assert firsts[0] == date(2025, 2, 1) and firsts[-2] == date(2026, 1, 1)
    assert firsts[-1] == date(2026, 2, 1) and len(firsts) == 13
    assert month_starts(date(2026, 12, 31))[-1] == date(2027, 1, 1)


def test_a_sale_counts_in_its_shanghai_month_and_points_in_their_period(app, merchant_id):
    from valliance import points
    from valliance.backoffice.services.merchant_file import monthly
    from valliance.merchants.services.reports import shanghai_midnight

    with app.app_context():
        merchant = db.session.get(Merchant, merchant_id)
        _, card = member(db.session)
        sale = pos.record_purchase(db.session, merchant, None, pay_code(card), 10_000, 0, None)
        db.session.flush()
        first = utcnow().astimezone(SHANGHAI).date().replace(day=1)
        # a sale a minute before this month began (Shanghai) belongs to the month before
        db.session.execute(Purchase.__table__.update().where(Purchase.id == sale.id).values(
            created_at=shanghai_midnight(first) - timedelta(minutes=1)))
        months = monthly(db.session, merchant)
        assert (months[-1].purchases, months[-2].purchases) == (0, 1)
        assert months[-2].amount == 10_000
        # the points it earned: in the period holding the moment they were written
        now = utcnow()
        split = points.net_by_period(db.session, [merchant.issued_account_id],
                                     [now - timedelta(hours=1), now + timedelta(seconds=1),
                                      now + timedelta(hours=1)])
        assert split[merchant.issued_account_id] == [-sale.points_earned, 0]
        db.session.rollback()


def test_a_chunk_never_splits_a_merchant_so_the_counts_are_the_clis(app, client, ops,
                                                                   monkeypatch):
    monkeypatch.setattr(merchant_imports, "CHUNK", 2)
    rows = ("老王火锅,餐饮,鹿城区,五马街1号,,8000,A,10,1\n"
            "江心屿咖啡,餐饮,鹿城区,,,3500,B,10,1\n"
            "老王火锅,餐饮,鹿城区,五马街1号,,8000,C,10,1\n"
            "老王火锅,餐饮,鹿城区,五马街1号,,8000,D,10,1\n")
    run_to_the_end(client, upload(client, (HEADER + rows).encode()).headers["Location"])
    moved = rows.replace("五马街1号", "五马街2号")  # the merchant changed, its offers did not
    progress = run_to_the_end(client, upload(client, (HEADER + moved).encode())
                              .headers["Location"])
    assert (progress["created"], progress["updated"], progress["skipped"]) == (0, 3, 1)
    with app.app_context():  # what the CLI's service says of the same file, on its own
        from valliance.csv_rows import read_csv
        from valliance.merchants.services import imports
        again = imports.import_merchants(db.session, read_csv(io.StringIO(HEADER + rows),
                                                              imports.COLUMNS))
        assert (again.created, again.updated, again.skipped) == (0, 3, 1)
        db.session.rollback()


@pytest.mark.postgres_only
def test_two_pages_stepping_one_import_at_once_write_each_chunk_once(app, ops, run_threads,
                                                                    monkeypatch):
    monkeypatch.setattr(merchant_imports, "CHUNK", 2)
    rows = "".join(f"并发商户{n},餐饮,鹿城区,,,5000,会员9折,10,1\n" for n in range(8))
    with app.app_context():
        job = merchant_imports.start_import(db.session, filename="a.csv",
                                            data=(HEADER + rows).encode(), staff_id=ops)
        db.session.commit()
        import_id = job.id

    def step(_):
        for _ in range(4):
            merchant_imports.run_chunk(db.session, import_id, staff_id=ops)
            db.session.commit()

    run_threads(2, step)
    with app.app_context():
        job = db.session.get(MerchantImport, import_id)
        assert (job.status, job.position, job.created) == ("done", 8, 8)
        assert db.session.scalar(select(func.count()).select_from(Merchant)) == 8


@pytest.mark.postgres_only
def test_the_same_file_uploaded_twice_and_run_at_once_makes_each_merchant_once(
        app, ops, run_threads):
    """Two imports of one file (a double upload, or two staff) written at the same time: the
    second sees what the first wrote (imports take turns), no merchant is made twice."""
    rows = "".join(f"重复商户{n},餐饮,鹿城区,,,5000,会员9折,10,1\n" for n in range(8))
    with app.app_context():
        jobs = [merchant_imports.start_import(db.session, filename="a.csv",
                                              data=(HEADER + rows).encode(), staff_id=ops).id
                for _ in range(2)]
        db.session.commit()

    def step(i):
        merchant_imports.run_chunk(db.session, jobs[i], staff_id=ops)
        db.session.commit()

    run_threads(2, step)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Merchant)) == 8
        created = sorted(db.session.get(MerchantImport, job).created for job in jobs)
        assert created == [0, 8]


@pytest.mark.postgres_only
def test_two_revokes_of_one_terminal_at_once_are_one_event(app, ops, merchant_id, run_threads):
    """Two staff revoking the same terminal at once: the terminal's row is locked and read
    again, so the second finds it revoked and the audit log says it once."""
    import threading
    terminal_id, _ = _terminal(app, merchant_id)
    both_read = threading.Barrier(2)

    def revoke(_):
        assert db.session.get(Terminal, terminal_id).revoked_at is None
        both_read.wait()
        terminals.revoke_terminal(db.session, terminal_id, actor=f"staff:{ops}", reason="丢失")
        db.session.commit()

    run_threads(2, revoke)
    assert len(events(app, "terminal.revoke")) == 1

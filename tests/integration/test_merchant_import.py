"""`flask merchants import`: merchants and offers from a CSV, validated first, re-runnable."""

import json
from decimal import Decimal

from sqlalchemy import func, select

from valliance.csv_rows import ImportRejected, read_csv
from valliance.merchants.models import Merchant, Offer
from valliance.merchants.services.imports import import_merchants
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant
from valliance.points.models import Account

HEADER = "name,category,district,address,phone,avg_spend,title,percent_off,points_per_yuan\n"
GOOD = HEADER + (
    "老王火锅,餐饮,鹿城镇,人民路1号,0878-1234567,8000,会员折扣,12,2\n"
    "老王火锅,餐饮,鹿城镇,人民路1号,0878-1234567,8000,午市套餐,12.5,\n"
    "老王火锅,餐饮,城东区,建设路8号,0878-7654321,9000,会员折扣,10,1\n"
    "丽人美发,美容美发,城东区,,,,剪发,0,3\n"
)


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def run_json(app, *args) -> dict:
    result = run(app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # nothing but the one JSON object on stdout


def write_csv(tmp_path, text: str, name: str = "merchants.csv", bom: bool = False) -> str:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return str(path)


def count(session, model) -> int:
    session.rollback()  # see what the command committed
    return session.scalar(select(func.count()).select_from(model))


def offers_by_key(session) -> dict:
    session.rollback()
    rows = session.execute(select(Merchant, Offer).join(Offer.merchant)).all()
    return {(m.name, m.district, o.title): (o.percent_off, o.points_per_yuan) for m, o in rows}


def test_import_creates_approved_merchants_with_accounts_and_their_offers(app, session,
                                                                        tmp_path):
    answer = run_json(app, "merchants", "import", write_csv(tmp_path, GOOD, bom=True))
    assert answer == {"rows": 4, "created": 4, "updated": 0, "skipped": 0}
    merchants = session.scalars(select(Merchant).order_by(Merchant.district)).all()
    assert len(merchants) == 3  # (name, district) is the merchant's key: two 老王火锅
    for merchant in merchants:
        assert merchant.status == "approved" and merchant.approved_at is not None
        issued = session.get(Account, merchant.issued_account_id)
        redeemed = session.get(Account, merchant.redeemed_account_id)
        assert (issued.kind, issued.owner_id) == ("merchant_issued", merchant.id)
        assert (redeemed.kind, redeemed.owner_id) == ("merchant_redeemed", merchant.id)
    wang = session.scalar(select(Merchant).where(Merchant.district == "鹿城镇"))
    assert (wang.address, wang.phone, wang.avg_spend) == ("人民路1号", "0878-1234567", 8000)
    assert offers_by_key(session) == {
        ("老王火锅", "鹿城镇", "会员折扣"): (Decimal(12), 2),
        ("老王火锅", "鹿城镇", "午市套餐"): (Decimal("12.5"), 1),  # blank → 1 point per yuan
        ("老王火锅", "城东区", "会员折扣"): (Decimal(10), 1),
        ("丽人美发", "城东区", "剪发"): (Decimal(0), 3),
    }
    assert run(app, "ledger", "verify").exit_code == 0


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_written(app, session,
                                                                        tmp_path):
    bad = HEADER + (
        "老王火锅,餐饮,鹿城镇,人民路1号,,8000,会员折扣,12,2\n"
        "坏商户,外星,鹿城镇,,,,折扣,10,1\n"               # line 3: unknown category
        "\n"                                             # blank lines are skipped
        ",餐饮,鹿城镇,,,-5,,95,101\n"                   # line 5: five problems
        "老王火锅,餐饮,鹿城镇,人民路2号,,8000,午市,10,1\n"  # line 6: differs from line 2
        "老王火锅,餐饮,鹿城镇,人民路1号,,8000,会员折扣,15,2\n"  # line 7: offer repeated
        "好商户,零售,鹿城镇,,,,折扣,12.345,1\n"            # line 8: three decimals
    )
    result = run(app, "merchants", "import", write_csv(tmp_path, bad), "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.startswith("第")]
    assert [line.split(" ")[1] for line in lines] == ["3", "5", "6", "7", "8"]
    assert "category" in lines[0]
    for word in ("name", "avg_spend", "title", "between 0 and 90", "points_per_yuan"):
        assert word in lines[1]
    assert "line 2" in lines[2] and "line 2" in lines[3]
    assert "at most two decimals" in lines[4]
    assert count(session, Merchant) == count(session, Offer) == count(session, Account) == 0


def test_a_file_without_the_header_is_rejected(app, session, tmp_path):
    result = run(app, "merchants", "import", write_csv(tmp_path, "name,category\n甲,餐饮\n"))
    assert result.exit_code == 1
    assert "line 1" in result.stderr and "percent_off" in result.stderr
    assert count(session, Merchant) == 0


def test_rerunning_the_same_file_skips_every_row_and_duplicates_nothing(app, session,
                                                                       tmp_path):
    path = write_csv(tmp_path, GOOD)
    run_json(app, "merchants", "import", path)
    before = offers_by_key(session)
    assert run_json(app, "merchants", "import", path) == {
        "rows": 4, "created": 0, "updated": 0, "skipped": 4}
    assert count(session, Merchant) == 3 and count(session, Offer) == 4
    assert count(session, Account) == 6
    assert offers_by_key(session) == before


def test_identical_repeated_rows_in_one_file_are_skipped(app, session, tmp_path):
    row = "老王火锅,餐饮,鹿城镇,人民路1号,,8000,会员折扣,12,2\n"
    answer = run_json(app, "merchants", "import", write_csv(tmp_path, HEADER + row * 3))
    assert answer == {"rows": 3, "created": 1, "updated": 0, "skipped": 2}
    assert count(session, Offer) == 1


def test_changed_rows_update_offers_and_merchants_and_new_rows_are_created(app, session,
                                                                           tmp_path):
    run_json(app, "merchants", "import", write_csv(tmp_path, GOOD))
    changed = HEADER + (
        "老王火锅,餐饮,鹿城镇,人民路1号,0878-1234567,8000,会员折扣,15,3\n"  # offer changed
        "老王火锅,餐饮,鹿城镇,人民路1号,0878-1234567,8000,午市套餐,12.5,1\n"  # identical
        "老王火锅,餐饮,城东区,建设路9号,0878-7654321,9500,会员折扣,10,1\n"  # merchant moved
        "丽人美发,美容美发,城东区,,,,剪发,0,3\n"                            # identical
        "丽人美发,美容美发,城东区,,,,染发,8,1\n"                            # new offer
    )
    answer = run_json(app, "merchants", "import", write_csv(tmp_path, changed, "changed.csv"))
    assert answer == {"rows": 5, "created": 1, "updated": 2, "skipped": 2}
    offers = offers_by_key(session)
    assert offers[("老王火锅", "鹿城镇", "会员折扣")] == (Decimal(15), 3)
    assert offers[("丽人美发", "城东区", "染发")] == (Decimal(8), 1)
    assert len(offers) == 5
    moved = session.scalar(select(Merchant).where(Merchant.district == "城东区",
                                                  Merchant.name == "老王火锅"))
    assert (moved.address, moved.avg_spend) == ("建设路9号", 9500)
    assert count(session, Merchant) == 3


def test_import_updates_a_merchant_created_by_hand_instead_of_duplicating_it(app, session,
                                                                             tmp_path):
    merchant = create_merchant(session, name="老王火锅", category="餐饮", district="鹿城镇",
                               address="人民路1号", phone="0878-1234567", avg_spend=8000,
                               approved=True)
    create_offer(session, merchant, title="会员折扣", percent_off=12, points_per_yuan=2)
    session.commit()
    answer = run_json(app, "merchants", "import", write_csv(tmp_path, GOOD))
    assert answer == {"rows": 4, "created": 3, "updated": 0, "skipped": 1}
    assert count(session, Merchant) == 3


def test_import_service_flushes_but_leaves_the_commit_to_the_caller(app, session, tmp_path):
    rows = read_csv(write_csv(tmp_path, GOOD), ("name", "category", "district", "address",
                                                "phone", "avg_spend", "title", "percent_off",
                                                "points_per_yuan"))
    seen: list[int] = []
    result = import_merchants(session, rows, seen.append)
    assert result.created == 4 and sum(seen) == 4
    session.rollback()
    assert count(session, Merchant) == 0


def test_the_service_raises_import_rejected_listing_every_bad_line(app, session, tmp_path):
    rows = read_csv(write_csv(tmp_path, HEADER + "甲,餐饮,乙,,,,,1,1\n乙,餐饮,,,,,折扣,1,1\n"),
                    ("name", "category", "district", "address", "phone", "avg_spend", "title",
                     "percent_off", "points_per_yuan"))
    try:
        import_merchants(session, rows)
    except ImportRejected as exc:
        assert [error.line for error in exc.errors] == [2, 3]
    else:
        raise AssertionError("bad rows were accepted")

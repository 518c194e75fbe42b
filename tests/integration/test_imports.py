"""`flask members import` (the VIP list) and `flask members import-spend` (telecom spend)."""

import json

import pytest
from sqlalchemy import func, select

from valliance.csv_rows import ImportRejected, read_csv
from valliance.members import codes
from valliance.members.models import AnnualSpend, Card, Member
from valliance.members.services import enroll_member
from valliance.members.services.member_import import import_members
from valliance.points.models import Account


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def run_json(app, *args) -> dict:
    result = run(app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # nothing but the one JSON object on stdout


def write_csv(tmp_path, text: str, name: str = "list.csv", bom: bool = False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return str(path)


def count(session, model) -> int:
    session.rollback()  # see what the command committed
    return session.scalar(select(func.count()).select_from(model))


VIP_LIST = "phone,name\n13800138000,张三\n+86 139-0013-9000,李四\n15057700001,王五\n"


def test_import_creates_members_with_cards_and_accounts_but_no_password(app, session, tmp_path):
    answer = run_json(app, "members", "import", write_csv(tmp_path, VIP_LIST, bom=True))
    assert answer == {"rows": 3, "created": 3, "updated": 0, "skipped": 0}
    members = session.scalars(select(Member).order_by(Member.phone)).all()
    assert [(m.phone, m.name) for m in members] == [
        ("13800138000", "张三"), ("13900139000", "李四"), ("15057700001", "王五")]
    for member in members:
        assert member.password_hash is None and member.claimed_at is None
        assert member.tier == "standard" and member.membership_status == "active"
        assert member.card.status == "active" and codes.luhn_valid(member.card.number)
        account = session.get(Account, member.points_account_id)
        assert (account.kind, account.owner_id, account.no_overdraft) == (
            "member", member.id, True)
    assert run(app, "ledger", "verify").exit_code == 0


def test_import_is_rerunnable_skipping_identical_and_renaming_changed(app, session, tmp_path):
    path = write_csv(tmp_path, VIP_LIST)
    run_json(app, "members", "import", path)
    assert run_json(app, "members", "import", path) == {
        "rows": 3, "created": 0, "updated": 0, "skipped": 3}
    changed = write_csv(tmp_path, "phone,name\n13800138000,张三丰\n13900139000,李四\n"
                                  "18800000000,赵六\n", "changed.csv")
    assert run_json(app, "members", "import", changed) == {
        "rows": 3, "created": 1, "updated": 1, "skipped": 1}
    assert count(session, Member) == 4 and count(session, Card) == 4
    assert session.scalar(select(Member.name).where(Member.phone == "13800138000")) == "张三丰"


def test_import_leaves_members_enrolled_elsewhere_their_card(app, session, tmp_path):
    member = enroll_member(session, phone="13800138000", name="张三", password="secret123")
    session.commit()
    answer = run_json(app, "members", "import", write_csv(tmp_path, VIP_LIST))
    assert answer == {"rows": 3, "created": 2, "updated": 0, "skipped": 1}
    assert count(session, Card) == 3
    assert session.get(Member, member.id).password_hash


def test_import_counts_an_identical_repeated_row_as_skipped(app, tmp_path):
    path = write_csv(tmp_path, "phone,name\n13800138000,张三\n\n13800138000,张三\n")
    assert run_json(app, "members", "import", path) == {
        "rows": 2, "created": 1, "updated": 0, "skipped": 1}


def test_import_with_bad_rows_reports_every_line_and_writes_nothing(app, session, tmp_path):
    path = write_csv(tmp_path, "phone,name\n"
                               "13800138000,张三\n"          # line 2: fine
                               "1380013,李四\n"               # line 3: short phone
                               "13900139000,\n"               # line 4: no name
                               "13800138000,张三丰\n"         # line 5: repeats line 2
                               "abc,王五\n")                  # line 6: not a phone
    result = run(app, "members", "import", path, "--json")
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    for line in (3, 4, 5, 6):
        assert f"line {line}:" in result.stderr
    assert "line 2:" not in result.stderr
    assert "nothing was imported" in result.stderr
    assert count(session, Member) == 0 and count(session, Card) == 0
    assert count(session, Account) == 0


def test_import_refuses_a_file_without_the_header(app, session, tmp_path):
    result = run(app, "members", "import", write_csv(tmp_path, "13800138000,张三\n"))
    assert result.exit_code == 1 and "phone" in result.stderr
    assert count(session, Member) == 0


def test_import_avoids_card_numbers_already_taken(app, session, tmp_path, monkeypatch):
    existing = enroll_member(session, phone="13800138000", name="张三").card.number
    session.commit()
    other, last = ("9" + digit * 14 for digit in "12")
    other, last = other + codes.luhn_check_digit(other), last + codes.luhn_check_digit(last)
    # taken in the database, fresh, repeated within the batch, taken again, then fresh
    numbers = iter([existing, other, other, existing, last])
    monkeypatch.setattr(codes, "random_card_number", lambda: next(numbers))
    rows = read_csv(write_csv(tmp_path, "phone,name\n13900139000,李四\n15057700001,王五\n"),
                    ("phone", "name"))
    result = import_members(session, rows)
    session.commit()
    assert result.created == 2
    numbers_now = session.scalars(select(Card.number)).all()
    assert sorted(numbers_now) == sorted([existing, other, last])


def test_read_csv_reports_a_missing_column_as_line_1(tmp_path):
    with pytest.raises(ImportRejected) as caught:
        read_csv(write_csv(tmp_path, "phone,nom\n"), ("phone", "name"))
    assert caught.value.errors[0].line == 1


# --- annual spend ----------------------------------------------------------------------------


def _members(app, tmp_path):
    run_json(app, "members", "import", write_csv(tmp_path, VIP_LIST, "vip.csv"))


def _spend(session) -> dict:
    session.rollback()
    rows = session.execute(select(Member.phone, AnnualSpend.year, AnnualSpend.telecom_fen,
                                  AnnualSpend.alliance_fen)
                           .join(Member, Member.id == AnnualSpend.member_id))
    return {(phone, year): (telecom, alliance) for phone, year, telecom, alliance in rows}


def test_import_spend_upserts_and_reports_unknown_phones(app, session, tmp_path):
    _members(app, tmp_path)
    path = write_csv(tmp_path, "phone,year,amount_fen\n"
                               "13800138000,2025,360000\n"
                               "13700000000,2025,5000\n"      # line 3: not a member
                               "13900139000,2025,0\n"
                               "13900139000,2024,120000\n"
                               "18600000000,2025,1\n", bom=True)  # line 6: not a member
    result = run(app, "members", "import-spend", path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"rows": 5, "members": 2, "skipped": 2}
    assert "line 3:" in result.stderr and "line 6:" in result.stderr
    assert "13700000000" in result.stderr
    expected = {("13800138000", 2025): (360000, 0), ("13900139000", 2025): (0, 0),
                ("13900139000", 2024): (120000, 0)}
    assert _spend(session) == expected

    assert run_json(app, "members", "import-spend", path)["members"] == 2
    assert _spend(session) == expected  # the same file twice: the same state


def test_import_spend_replaces_telecom_but_keeps_alliance_spend(app, session, tmp_path):
    _members(app, tmp_path)
    member = session.scalar(select(Member).where(Member.phone == "13800138000"))
    session.add(AnnualSpend(member_id=member.id, year=2025, telecom_fen=100, alliance_fen=7000))
    session.commit()
    run_json(app, "members", "import-spend",
             write_csv(tmp_path, "phone,year,amount_fen\n13800138000,2025,500000\n"))
    assert _spend(session) == {("13800138000", 2025): (500000, 7000)}


@pytest.mark.parametrize("row", [
    "13800138000,2025,-1", "13800138000,2025,12.50", "13800138000,2025,abc",
    "13800138000,2025,", "13800138000,19x5,100", "13800138000,1999,100",
    "13800138000,2999,100", "1380013800,2025,100",
])
def test_import_spend_refuses_invalid_rows_and_writes_nothing(app, session, tmp_path, row):
    _members(app, tmp_path)
    path = write_csv(tmp_path, f"phone,year,amount_fen\n13900139000,2025,360000\n{row}\n")
    result = run(app, "members", "import-spend", path, "--json")
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and "line 3:" in result.stderr
    assert _spend(session) == {}


def test_import_spend_reports_all_bad_rows_at_once(app, session, tmp_path):
    _members(app, tmp_path)
    path = write_csv(tmp_path, "phone,year,amount_fen\n13800138000,2025,-5\n"
                               "13900139000,2025,100\n13900139000,2025,200\n"
                               "15057700001,20x5,1.5\n")
    result = run(app, "members", "import-spend", path)
    assert result.exit_code == 1
    assert all(f"line {n}:" in result.stderr for n in (2, 4, 5))
    assert "line 3:" not in result.stderr
    assert _spend(session) == {}

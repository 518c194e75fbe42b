"""The desk's report page and its CSV: who may open them, the empty state, the figures shown,
the file's header, rows and formula-safe names."""

import csv
import io
import random
from datetime import timedelta

import pytest

from tests.api.test_merchant_apply import post_form
from tests.api.world import OWNER_PHONE, PASSWORD, build
from tests.desk_month import MONTH_START, desk_people, generate_month
from tests.sms import record_sms
from valliance.extensions import db
from valliance.service_desk.models import ServiceTeam
from valliance.service_desk.report_views import csv_header
from valliance.service_desk.services.report import build_report
from valliance.service_desk.services.report_periods import MONTH, period_of
from valliance.staff import services as staff_services

NOVEMBER = "/staff/desk/report?period=month&at=2026-11"


@pytest.fixture(autouse=True)
def sms(app, monkeypatch):
    return record_sms(app, monkeypatch)


def _staff(app, role):
    with app.app_context():
        staff_services.create_staff_user(db.session, username=f"u-{role}", name="员工",
                                         password=PASSWORD, roles=(role,))
        db.session.commit()
    client = app.test_client()
    assert post_form(client, "/staff/login", {"username": f"u-{role}",
                                              "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def november(app):
    with app.app_context():
        people = desk_people(db.session)
        db.session.get(ServiceTeam, people["teams"][0][0]).name = "=HYPERLINK(\"x\")组"
        generate_month(db.session, random.Random(7), people, 40)
        db.session.commit()


@pytest.mark.parametrize("role", ["service_desk", "admin"])
def test_the_desk_and_admin_open_the_report(app, role):
    assert _staff(app, role).get("/staff/desk/report").status_code == 200


@pytest.mark.parametrize("role", ["finance", "marketing", "member_care"])
def test_other_roles_are_refused_the_report_and_its_csv(app, role):
    client = _staff(app, role)
    assert client.get("/staff/desk/report").status_code == 403
    assert client.get("/staff/desk/report.csv").status_code == 403


def test_a_merchant_user_gets_403_and_a_visitor_the_staff_login(app):
    build(app)
    merchant = app.test_client()
    post_form(merchant, "/merchant/login", {"phone": OWNER_PHONE, "password": PASSWORD})
    assert merchant.get("/staff/desk/report").status_code == 403
    visitor = app.test_client().get("/staff/desk/report.csv")
    assert visitor.status_code == 302 and visitor.location.startswith("/staff/login")


def test_an_empty_period_says_so_and_draws_no_bars(app):
    page = _staff(app, "service_desk").get(NOVEMBER).get_data(as_text=True)
    assert 'id="report-empty"' in page and "本期没有工单" in page
    assert "<rect" not in page and "2026-11-01 – 2026-11-30" in page


def test_the_page_shows_the_months_fault_share_and_the_target_line(app, november):
    client = _staff(app, "service_desk")
    page = client.get(NOVEMBER).get_data(as_text=True)
    with app.app_context():
        report = build_report(db.session, period_of(MONTH, MONTH_START.date()))
    assert f'id="fault-share">{report.faults.share * 100:.1f}%' in page
    assert f'id="fault-late">{report.faults.late}<' in page
    assert "stroke-dasharray" in page and "目标 80.0%" in page
    assert 'href="/staff/desk/report?period=month&amp;at=2026-10"' in page
    assert 'href="/staff/desk/report?period=month&amp;at=2026-12"' in page
    assert "team-0" not in page  # names, never ids


def test_the_page_speaks_english_when_asked(app, november):
    client = _staff(app, "service_desk")
    page = client.get(NOVEMBER + "&lang=en").get_data(as_text=True)
    assert "Faults fixed on time" in page and "故障按时修复率" not in page


def test_the_csv_has_the_pages_rows_a_bilingual_header_and_formula_safe_names(app, november):
    response = _staff(app, "service_desk").get("/staff/desk/report.csv?period=month&at=2026-11")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=desk-report-2026-11.csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == csv_header()
    with app.app_context():
        report = build_report(db.session, period_of(MONTH, MONTH_START.date()))
    total = rows[1]
    assert total[0] == "合计 Total" and int(total[2]) == report.total.opened
    assert int(total[3]) == report.total.within and int(total[4]) == report.total.late
    kinds = [row for row in rows if row[0] == "类型 Kind"]
    assert len(kinds) == len(report.by_kind)
    assert sum(int(row[2]) for row in kinds) == report.total.opened
    teams = [row[1] for row in rows if row[0] == "班组 Team"]
    assert "'=HYPERLINK(\"x\")组" in teams


def test_a_week_is_asked_by_its_iso_number(app, november):
    client = _staff(app, "service_desk")
    page = client.get("/staff/desk/report?period=week&at=2026-W45").get_data(as_text=True)
    assert "2026-11-02 – 2026-11-08" in page


def _this_months_faults(app):
    """A fault fixed within its level and one overdue and escalated, opened minutes ago (a
    one-minute level for standard members' faults)."""
    from valliance.db import utcnow
    from valliance.service_desk.services import escalation, levels, tickets

    with app.app_context():
        people = desk_people(db.session, teams=1, members_per_tier=1)
        member = people["members"][0]
        levels.set_level(db.session, "fault", "standard", 1, by="test")
        now = utcnow()
        for minutes_ago in (3, 2):
            ticket = tickets.open_ticket(db.session, member, kind="fault",
                                         summary=f"断网{minutes_ago}", contact_phone=member.phone,
                                         now=now - timedelta(minutes=minutes_ago))
        tickets.change_status(db.session, ticket.id, "resolved", by=None, note="好了",
                              now=now - timedelta(minutes=1))
        escalation.escalate_overdue(db.session, now=now)
        db.session.commit()


def test_the_dashboard_shows_this_months_fault_share_and_links_the_desk_to_the_report(app):
    _this_months_faults(app)
    page = _staff(app, "service_desk").get("/staff/").get_data(as_text=True)
    assert 'id="desk-share">50.0%' in page
    assert "超时未解决工单 1 张，已升级 1 张" in page
    assert 'href="/staff/desk/report?period=month"' in page


def test_the_dashboard_shows_the_share_without_the_link_to_other_roles(app):
    page = _staff(app, "finance").get("/staff/").get_data(as_text=True)
    assert 'id="desk-share">—' in page and "/staff/desk/report" not in page


@pytest.mark.parametrize("query", [
    "period=month&at=9999-12", "period=month&at=0001-01", "period=week&at=0001-W10",
    "period=week&at=9999-W52", "period=week&at=2026-W99", "period=month&at=2026-13",
    "period=year&at=x"])
def test_a_period_at_the_calendars_ends_or_none_shows_this_one(app, query):
    client = _staff(app, "service_desk")
    assert client.get(f"/staff/desk/report?{query}").status_code == 200
    assert client.get(f"/staff/desk/report.csv?{query}").status_code == 200

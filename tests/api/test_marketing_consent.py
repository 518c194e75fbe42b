"""Consent to marketing SMS: off by default, one click in the portal, the member API, a reply
of TD, the back office's member page; every change audited."""

import pytest
from sqlalchemy import select

from tests.api.test_backoffice_members import carer  # noqa: F401 — a fixture
from tests.api.test_portal import PASSWORD, csrf_of, enroll, log_in
from valliance.audit import AuditEvent
from valliance.extensions import db
from valliance.members.models import Member
from valliance.members.services.marketing_consent import opt_out_by_reply, set_marketing_opt_in

PHONE = "13800138000"


def _member(app, member_id: str) -> Member:
    with app.app_context():
        member = db.session.get(Member, member_id)
        db.session.expunge(member)
        return member


def _events(app, member_id: str) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.actor) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.subject == member_id,
                                     AuditEvent.action.like("member.marketing%"))
            .order_by(AuditEvent.seq))]


def _opt_in(app, member_id: str) -> None:
    with app.app_context():
        set_marketing_opt_in(db.session, db.session.get(Member, member_id), True,
                             actor="cli", via="test")
        db.session.commit()


def _click(client, opted_in: str, csrf: bool = True):
    html = client.get("/me/profile").get_data(as_text=True)
    data = {"opted_in": opted_in, **({"csrf_token": csrf_of(html)} if csrf else {})}
    return client.post("/me/profile/marketing", data=data)


def test_a_new_member_has_not_opted_in(app):
    member = _member(app, enroll(app)["id"])
    assert member.marketing_opt_in is False and member.marketing_opt_in_changed_at is None


def test_one_click_in_the_portal_opts_in_and_out_audited(app, client):
    made = enroll(app)
    log_in(client)
    page = client.get("/me/profile").get_data(as_text=True)
    assert "您未订阅" in page and 'name="opted_in" value="1"' in page
    assert _click(client, "1").status_code == 302
    member = _member(app, made["id"])
    assert member.marketing_opt_in and member.marketing_opt_in_changed_at is not None
    page = client.get("/me/profile").get_data(as_text=True)
    assert "您已订阅" in page and 'name="opted_in" value="0"' in page
    _click(client, "0")
    _click(client, "0")  # a second click of the same button changes nothing
    assert _member(app, made["id"]).marketing_opt_in is False
    actor = f"member:{made['id']}"
    assert _events(app, made["id"]) == [("member.marketing_opt_in", actor),
                                        ("member.marketing_opt_out", actor)]


def test_the_portal_toggle_needs_the_csrf_token_and_a_signed_in_member(app, client):
    made = enroll(app)
    assert client.post("/me/profile/marketing", data={"opted_in": "1"}).status_code == 400
    log_in(client)
    assert _click(client, "1", csrf=False).status_code == 400
    assert _member(app, made["id"]).marketing_opt_in is False


def _token(client) -> dict:
    answer = client.post("/api/v1/member/session", json={"phone": PHONE, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_the_member_api_reads_and_sets_the_consent(app, client):
    made = enroll(app)
    auth = _token(client)
    assert client.get("/api/v1/member/marketing", headers=auth).get_json() == {"opted_in": False}
    answer = client.put("/api/v1/member/marketing", headers=auth, json={"opted_in": True})
    assert answer.status_code == 200 and answer.get_json() == {"opted_in": True}
    assert client.get("/api/v1/member/marketing", headers=auth).get_json() == {"opted_in": True}
    assert _events(app, made["id"]) == [("member.marketing_opt_in", f"member:{made['id']}")]


@pytest.mark.parametrize("body", [{}, {"opted_in": "yes"}, {"opted_in": None}])
def test_the_member_api_refuses_a_body_without_a_boolean(app, client, body):
    enroll(app)
    answer = client.put("/api/v1/member/marketing", headers=_token(client), json=body)
    assert answer.status_code == 422 and answer.get_json()["error"] == "validation_error"


def test_the_member_api_needs_a_token(client):
    assert client.get("/api/v1/member/marketing").status_code == 401
    assert client.put("/api/v1/member/marketing", json={"opted_in": True}).status_code == 401


def test_the_marketing_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/member/marketing"])


@pytest.mark.parametrize("text", ["TD", "td", " T D ", "退订", "Td\n"])
def test_a_td_reply_opts_the_member_out(app, text):
    made = enroll(app)
    _opt_in(app, made["id"])
    with app.app_context():
        assert opt_out_by_reply(db.session, "+86 138-0013-8000", text).id == made["id"]
        db.session.commit()
    assert _member(app, made["id"]).marketing_opt_in is False
    assert _events(app, made["id"])[-1] == ("member.marketing_opt_out", f"member:{made['id']}")


@pytest.mark.parametrize("text", ["好的", "TDX", "", "不要退订"])
def test_another_reply_changes_nothing(app, text):
    made = enroll(app)
    _opt_in(app, made["id"])
    with app.app_context():
        assert opt_out_by_reply(db.session, PHONE, text) is None
        assert opt_out_by_reply(db.session, "13900139000", "TD") is None  # nobody's phone
        db.session.commit()
    assert _member(app, made["id"]).marketing_opt_in is True


def test_the_sms_reply_command(app):
    made = enroll(app)
    _opt_in(app, made["id"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["members", "sms-reply", "--phone", PHONE, "--text", "退订",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert '"opted_out": true' in result.output
    assert _member(app, made["id"]).marketing_opt_in is False
    again = runner.invoke(args=["members", "sms-reply", "--phone", PHONE, "--text", "TD"])
    assert again.exit_code == 0 and "没有变化" in again.output


def test_the_back_office_member_page_shows_the_consent(app, client, carer):  # noqa: F811
    made = enroll(app)
    page = client.get(f"/staff/members/{made['id']}").get_data(as_text=True)
    assert '<dd id="marketing">未订阅' in page
    _opt_in(app, made["id"])
    page = client.get(f"/staff/members/{made['id']}").get_data(as_text=True)
    assert '<dd id="marketing">已订阅' in page and "更改于" in page

"""SMS codes under real concurrency (PostgreSQL): every guess counts, a code works once."""

import threading

import pytest
from sqlalchemy import select

from tests.integration.test_member_services import _sent_code
from valliance.errors import ValidationError
from valliance.extensions import db
from valliance.members.models import OneTimeCode
from valliance.members.services import otp

pytestmark = pytest.mark.postgres_only
PHONE = "13800138000"


def _verify_together(session, run_threads, monkeypatch, codes: list[str]) -> list[bool]:
    """Verify the codes at once, each in its own request's session; which were accepted."""
    together = threading.Barrier(len(codes), timeout=10)
    digest = otp._digest

    def digest_together(*args):  # every guess is read and hashed before any is written
        value = digest(*args)
        together.wait()
        return value

    monkeypatch.setattr(otp, "_digest", digest_together)
    session.rollback()

    def verify(i):
        try:
            otp.verify_code(db.session, PHONE, "claim", codes[i])
            accepted = True
        except ValidationError:
            accepted = False
        db.session.commit()  # as the views do: a wrong guess is kept
        return accepted

    accepted = run_threads(len(codes), verify)
    monkeypatch.undo()
    return accepted


def test_wrong_codes_sent_at_once_are_each_counted(session, run_threads, monkeypatch):
    otp.send_code(session, PHONE, "claim")
    code = _sent_code(session)
    session.commit()
    wrong = "000000" if code != "000000" else "111111"
    assert _verify_together(session, run_threads, monkeypatch, [wrong] * 3) == [False] * 3
    session.rollback()
    assert session.scalar(select(OneTimeCode.attempts)) == 3


def test_the_right_code_sent_twice_at_once_is_accepted_once(session, run_threads, monkeypatch):
    otp.send_code(session, PHONE, "claim")
    code = _sent_code(session)
    session.commit()
    assert sorted(_verify_together(session, run_threads, monkeypatch, [code] * 2)) == [
        False, True]

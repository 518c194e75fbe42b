"""What the desk's integration tests share: a moment in Asia/Shanghai, a member and an
engineer (fixtures: import them into the test module)."""

from datetime import datetime

import pytest

from valliance.members import services as member_services
from valliance.staff import services as staff_services


def at(text: str) -> datetime:
    """"2026-12-07T10:00" in Asia/Shanghai (2026-12-07 is a Monday)."""
    return datetime.fromisoformat(text + "+08:00")


@pytest.fixture
def member(session):
    found = member_services.enroll_member(session, phone="13800138000", name="张三",
                                          password="member-pass-2026")
    session.commit()
    return found


@pytest.fixture
def engineer(session):
    staff = staff_services.create_staff_user(session, username="eng", name="王工",
                                             password="staff-pass-2026",
                                             roles=("service_desk",))
    session.commit()
    return staff.id

"""Portal sign-in for members, through the shared Flask-Login manager (valliance.sign_in)."""

from flask import Flask

from valliance import sign_in
from valliance.extensions import login
from valliance.members.models import Member


class MemberUser(sign_in.SignedInUser):
    """The signed-in member, as Flask-Login sees it."""

    kind = "member"
    is_member = True

    @property
    def member(self) -> Member:
        return self.record


def init_app(app: Flask) -> None:
    """Register how a signed-in member is loaded from the session."""
    sign_in.register("member", Member, MemberUser, "members.login")
    login.login_view = "members.login"
    login.login_message = "请先登录 / Please sign in first"
    login.login_message_category = "portal"

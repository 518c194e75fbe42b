"""Portal sign-in for members, through the shared Flask-Login manager (valliance.sign_in)."""

from functools import wraps

from flask import Flask
from flask_login import current_user

from valliance import sign_in
from valliance.extensions import login
from valliance.i18n import bilingual
from valliance.members.models import Member


class MemberUser(sign_in.SignedInUser):
    """The signed-in member, as Flask-Login sees it."""

    kind = "member"
    is_member = True

    @property
    def member(self) -> Member:
        return self.record


def member_required(view):
    """Let only a signed-in member through; anyone else goes to the sign-in page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated or not getattr(current_user, "is_member", False):
            return login.unauthorized()
        return view(*args, **kwargs)

    return wrapped


def init_app(app: Flask) -> None:
    """Register how a signed-in member is loaded from the session."""
    sign_in.register("member", Member, MemberUser, "members.login")
    login.login_view = "members.login"
    login.login_message = bilingual("请先登录")
    login.login_message_category = "portal"

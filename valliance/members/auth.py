"""Portal sign-in through Flask-Login. Session ids are "member:<id>" so that other kinds of
users (merchant staff, operators, alliance staff) can sign in through the same manager."""

import hashlib
import hmac

from flask import Flask
from flask_login import UserMixin

from valliance.extensions import db, login
from valliance.members.models import Member

PREFIX = "member:"


class MemberUser(UserMixin):
    """The signed-in member, as Flask-Login sees it."""

    def __init__(self, member: Member):
        self.member = member

    def get_id(self) -> str:
        return f"{PREFIX}{self.member.id}:{credential_version(self.member)}"

    @property
    def is_member(self) -> bool:
        return True


def credential_version(member: Member) -> str:
    """Changes whenever the password does, so a password change signs out every session."""
    return hashlib.sha256((member.password_hash or "").encode()).hexdigest()[:16]


def load_user(user_id: str):
    """Flask-Login's loader: the member behind a session id, or None."""
    if not user_id.startswith(PREFIX):
        return None
    member_id, _, version = user_id[len(PREFIX):].partition(":")
    member = db.session.get(Member, member_id)
    if member is None or not hmac.compare_digest(version, credential_version(member)):
        return None
    return MemberUser(member)


def init_app(app: Flask) -> None:
    """Register how a signed-in member is loaded from the session."""
    login.user_loader(load_user)
    login.login_view = "members.login"
    login.login_message = "请先登录 / Please sign in first"
    login.login_message_category = "portal"

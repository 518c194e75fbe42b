"""A small alliance with a credential of every kind: the hostile-input and fuzz tests use it."""

from dataclasses import dataclass

from sqlalchemy import select

from tests.api.pos_helpers import member, shop
from valliance.directory import services as directory
from valliance.extensions import db
from valliance.members import services as members
from valliance.merchants.models import Merchant, Offer
from valliance.merchants.services import merchant_users as users
from valliance.staff import services as staff_services

PASSWORD = "secret123"
MEMBER_PHONE = "13800138000"
OWNER_PHONE = "13700000001"
STAFF_USERNAME = "reviewer"


@dataclass
class World:
    merchant_id: str
    offer_id: str
    terminal_key: str
    operator_key: str
    member_token: str
    card: str
    purchase_id: str | None = None

    def bearer(self, kind: str) -> dict:
        secret = {"terminal": self.terminal_key, "operator": self.operator_key,
                  "member": self.member_token}[kind]
        return {"Authorization": f"Bearer {secret}"}


def build(app) -> World:
    """A merchant with an offer, terminal, owner; an operator; a member with a card; staff."""
    with app.app_context():
        made = shop(db.session, offer={"percent_off": 12, "points_per_yuan": 2})
        merchant = db.session.get(Merchant, made.merchant.id)
        users.add_merchant_user(db.session, merchant, phone=OWNER_PHONE, name="王老板",
                                password=PASSWORD, role="owner", actor="test")
        offer_id = db.session.scalar(select(Offer.id).where(Offer.merchant_id == merchant.id))
        _, operator_key = directory.create_operator(db.session, "一号台")
        found, card = member(db.session, tier="gold", points=500, phone=MEMBER_PHONE)
        token, _ = members.create_token(db.session, found)
        staff_services.create_staff_user(db.session, username=STAFF_USERNAME, name="审核员小周",
                                         password=PASSWORD, roles=("admin",))
        db.session.commit()
        world = World(merchant_id=merchant.id, offer_id=offer_id, terminal_key=made.api_key,
                      operator_key=operator_key, member_token=token, card=card.number)
        db.session.remove()
    return world

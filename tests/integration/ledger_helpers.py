"""Small builders for ledger tests."""

from dataclasses import dataclass

from valliance.points import accounts


@dataclass
class Shop:
    merchant_id: str
    issued: int
    redeemed: int


def open_shop(session, merchant_id: str = "mer-1") -> Shop:
    opened = accounts.open_merchant_accounts(session, merchant_id)
    return Shop(merchant_id, opened.issued, opened.redeemed)


def open_members(session, count: int) -> list[int]:
    return [accounts.open_member_account(session, f"mem-{i}") for i in range(count)]

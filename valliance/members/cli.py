"""`flask members …`, `flask cards …` and `flask tiers …` (contract §8)."""

import sys
from collections.abc import Callable
from contextlib import contextmanager

import click
from flask.cli import AppGroup

from valliance.cli import emit, json_option, transaction
from valliance.csv_rows import read_csv
from valliance.extensions import db
from valliance.i18n import bilingual, pbilingual
from valliance.members import services
from valliance.members.models import TIERS, Card, Member
from valliance.members.services import marketing_consent, member_import, spend_import
from valliance.members.services.tier_review import review_tiers
from valliance.members.tiers import TIER_NAMES_ZH

members_cli = AppGroup("members", help="Members: enroll, freeze, import the VIP list and spend.")
cards_cli = AppGroup("cards", help="V-cards: freeze, unfreeze, report lost, reissue.")
tiers_cli = AppGroup("tiers", help="Tiers: the yearly review.")


def _member(phone: str) -> Member:
    member = services.find_member_by_phone(db.session, services.normalize_phone(phone))
    if member is None:
        raise click.ClickException(bilingual("没有手机号为 %(phone)s 的会员", phone=phone))
    return member


# --- members ---------------------------------------------------------------------------------


@members_cli.command("create")
@click.option("--phone", required=True, help="Mainland mobile number.")
@click.option("--name", required=True)
@click.option("--password", default=None, help="Omit: the member claims the account on the web.")
@click.option("--tier", type=click.Choice(TIERS), default="standard", show_default=True)
@click.option("--points", type=click.IntRange(min=0), default=0,
              help="Opening balance (an adjust entry).")
@json_option
def create_member(phone, name, password, tier, points, as_json):
    """Enroll a member and issue a V-card."""
    def work():
        member = services.enroll_member(db.session, phone=phone, name=name, password=password,
                                        tier=tier, opening_points=points, actor="cli")
        return member.id, member.name, member.card.number, member.tier

    member_id, member_name, number, tier_ = transaction(work)
    emit(as_json, {"member_id": member_id, "card_number": number, "tier": tier_},
         bilingual(
             "已创建会员 %(member_name)s（%(TIER_NAMES_ZH)s），卡号 %(number)s",
             member_name=member_name,
             TIER_NAMES_ZH=TIER_NAMES_ZH[tier_],
             number=number,
             member_id=member_id,
             tier_=tier_,
         ))


def _membership_command(name: str, status: str, verb: str):
    @members_cli.command(name)
    @click.argument("phone")
    @json_option
    def command(phone, as_json):
        def work():
            member = services.set_membership(db.session, _member(phone), status)
            return member.id, member.phone_masked

        member_id, masked = transaction(work)
        emit(as_json, {"member_id": member_id, "status": status},
             f"{verb} {masked} ({member_id}): membership {status}")

    command.__doc__ = f"Set a member's membership to {status} (by phone)."
    return command


_membership_command("freeze", "frozen", bilingual("已冻结会员资格"))
_membership_command("unfreeze", "active", bilingual("已恢复会员资格"))


@members_cli.command("sms-reply")
@click.option("--phone", required=True, help="The phone the reply came from.")
@click.option("--text", required=True, help="The reply's text (TD / 退订 opts out).")
@json_option
def sms_reply_command(phone, text, as_json):
    """Handle an SMS reply (as the provider's webhook will): TD or 退订 stops marketing SMS."""
    def work():
        member = marketing_consent.opt_out_by_reply(db.session, phone, text)
        return member and member.id

    member_id = transaction(work, as_json)
    emit(as_json, {"opted_out": member_id is not None, "member_id": member_id},
         bilingual("已退订优惠活动短信") if member_id else bilingual("没有变化"))


@contextmanager
def _progress(length: int, as_json: bool, label: str):
    # With --json stdout carries the one JSON object, so the bar goes to stderr.
    with click.progressbar(length=length, label=label, file=sys.stderr if as_json else None
                           ) as bar:
        yield bar.update


@members_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
def import_members_command(file, as_json):
    """Import the VIP list (CSV: phone,name): create members with cards, rename, or skip."""
    def work():
        rows = read_csv(file, ("phone", "name"))
        with _progress(len(rows), as_json, bilingual("导入会员")) as advance:
            return member_import.import_members(db.session, rows, advance)

    result = transaction(work)
    emit(as_json, result.as_dict(),
         bilingual(
             "共 %(rows)s 行：新建 %(created)s，更新 %(updated)s，跳过 %(skipped)s",
             rows=result.rows,
             created=result.created,
             updated=result.updated,
             skipped=result.skipped,
         ))


@members_cli.command("import-spend")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
def import_spend_command(file, as_json):
    """Import annual telecom spend (CSV: phone,year,amount_fen); unknown phones are skipped."""
    def work():
        rows = read_csv(file, ("phone", "year", "amount_fen"))
        with _progress(len(rows), as_json, bilingual("导入消费")) as advance:
            return spend_import.import_spend(db.session, rows, advance)

    result = transaction(work)
    for warning in result.unknown:
        click.echo(warning.render(), err=True)
    emit(as_json, result.as_dict(),
         bilingual(
             "共 %(rows)s 行：%(members)s 位会员已更新，跳过 %(skipped)s 行（非会员）",
             rows=result.rows,
             members=result.members,
             skipped=result.skipped,
         ))


# --- cards -----------------------------------------------------------------------------------


def _card(number: str) -> Card:
    card, _ = services.find_card(db.session, number)
    return card


def _card_command(name: str, status: str, allowed_from: tuple[str, ...], verb: str,
                  refused: Callable[[str], str]):
    @cards_cli.command(name)
    @click.argument("card")
    @json_option
    def command(card, as_json):
        def work():
            found = _card(card)
            if found.status not in allowed_from:
                raise click.ClickException(refused(found.status))
            services.set_card_status(db.session, found, status)
            return found.number

        number = transaction(work)
        emit(as_json, {"card_number": number, "status": status}, f"{verb} {number}: {status}")

    command.__doc__ = f"Set a card's status to {status}."
    return command


_card_command("freeze", "frozen", ("active", "frozen"), bilingual("冻结"),
              lambda status: bilingual("卡片状态为 %(status)s，不能冻结", status=status))
_card_command("unfreeze", "active", ("frozen", "active"), bilingual("解冻"),
              lambda status: bilingual("卡片状态为 %(status)s，不能解冻", status=status))
_card_command("report-lost", "lost", ("active", "frozen", "lost"), bilingual("挂失"),
              lambda status: bilingual("卡片状态为 %(status)s，不能挂失", status=status))


@cards_cli.command("reissue")
@click.argument("card")
@json_option
def reissue_command(card, as_json):
    """Replace a card (lost or damaged): prints the new card; balance and history stay."""
    def work():
        new_card = services.reissue_card(db.session, _card(card))
        return new_card.number, new_card.status

    number, status = transaction(work)
    emit(as_json, {"card_number": number, "status": status},
         bilingual("已换发新卡", card=card, number=number, status=status))


@cards_cli.command("expire")
@json_option
def expire_command(as_json):
    """Mark every card past its expiry date as expired (run daily)."""
    count = transaction(lambda: services.expire_cards(db.session))
    emit(as_json, {"expired": count}, pbilingual(
        "Expired: %(count)s cards",
        "已过期",
        count=count,
    ))


# --- tiers -----------------------------------------------------------------------------------


@tiers_cli.command("review")
@click.option("--year", required=True, type=click.IntRange(2000, 2100),
              help="The year whose spend is reviewed.")
@json_option
def review_command(year, as_json):
    """Set every member's tier from the year's spend (telecom + alliance); safe to re-run."""
    reviewed, changed = transaction(lambda: review_tiers(db.session, year))
    emit(as_json, {"reviewed": reviewed, "changed": changed},
         bilingual(
             "%(year)s 年度评审：%(reviewed)s 位会员，%(changed)s 位等级变更",
             year=year,
             reviewed=reviewed,
             changed=changed,
         ))


COMMANDS: list = [members_cli, cards_cli, tiers_cli]

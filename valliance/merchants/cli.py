"""`flask merchants …`, `flask offers …` and `flask terminals …` (contract §8)."""

import json
import sys
from datetime import date

import click
from flask.cli import AppGroup

from valliance.cli import emit, json_option, transaction
from valliance.csv_rows import read_csv
from valliance.db import run_in_transaction
from valliance.errors import NotFound, VallianceError
from valliance.extensions import db
from valliance.i18n import bilingual, pbilingual
from valliance.members.models import TIERS
from valliance.merchants.models import CATEGORIES, Merchant
from valliance.merchants.services import imports, offers, onboarding, terminals

merchants_cli = AppGroup("merchants", help="Merchants: onboard and import.")
offers_cli = AppGroup("offers", help="Offers: publish discounts and points rates.")
terminals_cli = AppGroup("terminals", help="POS terminals and their API keys.")


def _merchant(merchant_id: str) -> Merchant:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise click.ClickException(bilingual("没有该商户", merchant_id=merchant_id))
    return merchant


@merchants_cli.command("create")
@click.option("--name", required=True)
@click.option("--category", required=True, type=click.Choice(CATEGORIES))
@click.option("--district", required=True)
@click.option("--address", default="")
@click.option("--phone", default="")
@click.option("--avg-spend", type=click.IntRange(0), default=0, help="Typical spend, fen.")
@json_option
def create_merchant_command(name, category, district, address, phone, avg_spend, as_json):
    """Onboard an approved merchant (staff)."""
    merchant_id = transaction(lambda: onboarding.create_merchant(
        db.session, name=name, category=category, district=district, address=address,
        phone=phone, avg_spend=avg_spend, approved=True).id)
    emit(as_json, {"merchant_id": merchant_id}, bilingual("已创建商户", merchant_id=merchant_id))


@merchants_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@json_option
def import_merchants_command(file, as_json):
    """Import merchants and offers (CSV, one offer per row): create, update or skip."""
    def work():
        rows = read_csv(file, imports.COLUMNS)
        # With --json stdout carries the one JSON object, so the bar goes to stderr.
        with click.progressbar(length=len(rows), label=bilingual("导入商户"),
                               file=sys.stderr if as_json else None) as bar:
            return imports.import_merchants(db.session, rows, bar.update)

    result = transaction(work)
    emit(as_json, result.as_dict(),
         bilingual("导入 {rows} 行：新增 {created}，更新 {updated}，跳过 {skipped}")
         .format(**result.as_dict()))


def _review(merchant_id: str, action: str, reason: str, as_json: bool) -> None:
    """Suspend or reinstate through the staff review service (audit trail, SMS to owners)."""
    def work():
        if db.session.get(Merchant, merchant_id) is None:
            raise NotFound(bilingual("没有该商户", merchant_id=merchant_id))
        return onboarding.review_merchant(db.session, merchant_id, action, staff_id="cli",
                                          note=reason).status

    try:
        status = run_in_transaction(db.session, work)
    except VallianceError as exc:  # a refused transition: say why, exit non-zero
        message = "; ".join(m for msgs in exc.details.values() for m in msgs) or exc.message
        if as_json:
            click.echo(json.dumps({"error": exc.code, "message": message}, ensure_ascii=False))
            sys.exit(1)
        raise click.ClickException(message) from exc
    emit(as_json, {"merchant_id": merchant_id, "status": status},
         pbilingual(
             "Merchant %(merchant_id)s: %(STATUS_NAMES)s / %(status)s",
             "商户",
             merchant_id=merchant_id,
             STATUS_NAMES=onboarding.STATUS_NAMES[status][0],
             status=status,
         ))


@merchants_cli.command("suspend")
@click.argument("merchant_id")
@click.option("--reason", required=True, help="Why (texted to the merchant's owners).")
@json_option
def suspend_merchant_command(merchant_id, reason, as_json):
    """Suspend an approved merchant: its terminals stop selling at once (403)."""
    _review(merchant_id, "suspend", reason, as_json)


@merchants_cli.command("reinstate")
@click.argument("merchant_id")
@json_option
def reinstate_merchant_command(merchant_id, as_json):
    """Reinstate a suspended merchant: its terminals sell again."""
    _review(merchant_id, "reinstate", "", as_json)


def _tier_rate(value: str) -> tuple[str, str]:
    tier, sep, percent = value.partition("=")
    if not sep or tier not in TIERS:
        raise click.BadParameter(f"TIER=PERCENT with TIER one of {', '.join(TIERS)}")
    return tier, percent


@offers_cli.command("create")
@click.option("--merchant", "merchant_id", required=True)
@click.option("--title", required=True)
@click.option("--percent-off", required=True)
@click.option("--tier-percent-off", "tier_rates", multiple=True,
              help="TIER=PERCENT, replaces percent_off for that tier only; repeatable.")
@click.option("--points-per-yuan", type=int, default=1, show_default=True)
@click.option("--valid-from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--valid-until", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--description", default="")
@json_option
def create_offer_command(merchant_id, title, percent_off, tier_rates, points_per_yuan,
                         valid_from, valid_until, description, as_json):
    """Publish an offer (dates inclusive; a past --valid-until makes an inactive offer)."""
    rates = dict(_tier_rate(value) for value in tier_rates)

    def work():
        return offers.create_offer(
            db.session, _merchant(merchant_id), title=title, percent_off=percent_off,
            points_per_yuan=points_per_yuan, tier_percent_off=rates,
            valid_from=_date(valid_from), valid_until=_date(valid_until),
            description=description, actor="cli").id

    offer_id = transaction(work)
    emit(as_json, {"offer_id": offer_id}, bilingual("已发布优惠", offer_id=offer_id))


def _date(value) -> date | None:
    return value.date() if value else None


@terminals_cli.command("create")
@click.option("--merchant", "merchant_id", required=True)
@click.option("--name", default="")
@json_option
def create_terminal_command(merchant_id, name, as_json):
    """Create a POS terminal; its API key is printed once and stored only as a hash."""
    terminal_id, key = transaction(lambda: _new_terminal(merchant_id, name))
    emit(as_json, {"terminal_id": terminal_id, "api_key": key},
         bilingual(
             "终端 / Terminal %(terminal_id)s\nAPI key (只显示一次",
             terminal_id=terminal_id,
             key=key,
         ))


def _new_terminal(merchant_id: str, name: str) -> tuple[str, str]:
    terminal, key = terminals.create_terminal(db.session, _merchant(merchant_id), name,
                                              actor="cli")
    return terminal.id, key


@terminals_cli.command("revoke")
@click.argument("terminal_id")
@json_option
def revoke_terminal_command(terminal_id, as_json):
    """Revoke a terminal's key at once."""
    revoked = transaction(lambda: terminals.revoke_terminal(db.session, terminal_id,
                                                            actor="cli").id)
    emit(as_json, {"terminal_id": revoked, "revoked": True},
         pbilingual("Revoked terminal %(revoked)s", "已吊销", revoked=revoked))


COMMANDS = [merchants_cli, offers_cli, terminals_cli]

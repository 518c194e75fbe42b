"""`flask demo seed`: a believable V-card alliance in 温州市鹿城区 to explore the app with.

The demo's logins and device keys are published (README): a database that is not the
embedded SQLite one is refused unless the app runs in debug mode or --force says so.
"""

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from valliance.db import run_in_transaction
from valliance.demo.roster import DEMO_SEED, DemoResult
from valliance.demo.seed import seed_demo
from valliance.extensions import db
from valliance.i18n import N_, bilingual, pbilingual
from valliance.members.tiers import TIER_NAMES_ZH

demo_cli = AppGroup("demo", help="Demo data.")
#: merchant status → why its demo logins wait (each a whole message: the status word included)
WAITING = {"pending": N_("待审核，审核通过后才能登录"),
           "rejected": N_("未通过，审核通过后才能登录"),
           "suspended": N_("已暂停，审核通过后才能登录")}


def seeding_refused(force: bool) -> str | None:
    """Why this database must not get the demo's published passwords and keys, or None."""
    engine = db.engine.dialect.name
    # app.debug is Flask's reading of FLASK_DEBUG (or --debug, or the DEBUG setting).
    if force or current_app.debug or engine == "sqlite":
        return None
    return (bilingual(
        "拒绝写入演示数据：演示账号的密码和密钥是公开的，FLASK_DEBUG 关闭时只写入 SQLite 数据库，"
        "这是 %(engine)s 数据库；确需写入请加 --force",
        engine=engine,
    ))


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when there are members already.")
@click.option("--force", is_flag=True,
              help="Seed a database other than SQLite with FLASK_DEBUG off (never production).")
@click.option("--seed", type=int, default=DEMO_SEED, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def seed_command(if_empty: bool, force: bool, seed: int, as_json: bool):
    """Seed a demo alliance (温州市鹿城区): members of every tier, six months of trade."""
    refused = seeding_refused(force)
    if refused:
        click.echo(refused, err=True)
        sys.exit(1)
    result = run_in_transaction(db.session,
                                lambda: seed_demo(db.session, if_empty=if_empty, seed=seed))
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    _echo_summary(result)
    _echo_logins(result)


def _echo_summary(result: DemoResult) -> None:
    if not result.created:
        click.echo(bilingual("已有会员，未创建演示数据"))
        return
    months = "、".join(result.periods) or "—"
    click.echo(bilingual(
        "演示数据已创建：%(members)s 位会员，%(purchases)s 笔消费，%(refunds)s 笔退款，"
        "%(referrals)s 次114推荐，%(transfers)s 笔积分记录，已结算 %(months)s",
        members=result.members,
        purchases=result.purchases,
        refunds=result.refunds,
        referrals=result.referrals,
        transfers=result.transfers,
        months=months,
        months_2=months.replace('、', ', '),
    ))


def _echo_logins(result: DemoResult) -> None:
    if result.logins:
        click.echo(bilingual("演示账号"))
        for login in result.logins:
            click.echo(f"  {TIER_NAMES_ZH[login['tier']]:<4} {login['tier']:<9}"
                       f" {login['phone']} / {login['password']}  ({login['name']})")
    if result.staff_logins:
        click.echo(bilingual("联盟员工"))  # the heading: "中文 / English (/staff/login):"
    for login in result.staff_logins:
        roles = ", ".join(login["roles"])
        click.echo(f"  {login['username']} / {login['password']}  ({login['name']}; {roles})")
    if result.merchant_logins:
        click.echo(pbilingual("merchant portal (/merchant/login, phone / password):", "商户后台"))
        for login in result.merchant_logins:
            role = "店主 owner" if login["role"] == "owner" else "收银员 cashier"
            waiting = ("" if login["status"] == "approved" else
                       f"  — {bilingual(WAITING[login['status']])}")
            click.echo(f"  {role:<10} {login['phone']} / {login['password']}"
                       f"  ({login['name']}, {login['merchant']}){waiting}")
    if "till" in result.device_keys:
        click.echo(bilingual(
            "收银台 / till (/till/) 终端密钥",
            device_keys=result.device_keys['till'],
        ))
    if "console" in result.device_keys:
        click.echo(bilingual("114控制台 / operator console (/directory/console) 密钥")
                   + result.device_keys["console"])

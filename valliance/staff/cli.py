"""`flask staff create` and `flask staff disable`: alliance staff accounts."""

import click
from flask.cli import AppGroup

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.staff import services
from valliance.staff.roles import ROLES

staff_cli = AppGroup("staff", help="Alliance staff accounts.")


@staff_cli.command("create", cls=JsonCommand)
@click.option("--username", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", required=True, multiple=True,
              help="One of: " + ", ".join(ROLES) + " (repeat for more than one).")
@click.option("--password", default=None, help="Omit to be asked (not echoed).")
@json_option
def create_staff_command(username, name, roles, password, as_json):
    """Create a staff sign-in for the staff pages (/staff/)."""
    if password is None:
        # On stderr, so that --json keeps stdout for the one JSON object.
        password = click.prompt(bilingual("密码"), hide_input=True, confirmation_prompt=True,
                                err=True)

    def work():
        staff = services.create_staff_user(db.session, username=username, name=name,
                                           password=password, roles=roles)
        return staff.id, staff.username, staff.roles

    staff_id, username_, held = transaction(work, as_json)
    emit(as_json, {"staff_id": staff_id, "role": held.replace(" ", ","), "username": username_},
         bilingual("已创建员工账号", username_=username_, staff_id=staff_id) + f" ({held})")


def _set_active(username: str, active: bool, as_json: bool) -> None:
    def work():
        staff = services.set_staff_active(db.session, username, active)
        return staff.id, staff.username

    staff_id, username_ = transaction(work, as_json)
    verb = (bilingual("已启用"), bilingual("已停用"))[not active]
    emit(as_json, {"staff_id": staff_id, "username": username_, "active": active},
         f"{verb} {username_} ({staff_id})")


@staff_cli.command("disable", cls=JsonCommand)
@click.argument("username")
@json_option
def disable_staff_command(username, as_json):
    """Disable a staff sign-in; its sessions end at once."""
    _set_active(username, False, as_json)


@staff_cli.command("enable", cls=JsonCommand)
@click.argument("username")
@json_option
def enable_staff_command(username, as_json):
    """Re-enable a disabled staff sign-in."""
    _set_active(username, True, as_json)

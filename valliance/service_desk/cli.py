"""`flask desk manager`: give a VIP member their account manager from the shell (contract §13
style: --json prints one object; a refusal {"error", "message"} and a non-zero exit)."""

import click
from flask.cli import AppGroup

from valliance.cli import JsonCommand, emit, json_option, transaction
from valliance.errors import NotFound
from valliance.extensions import db
from valliance.i18n import bilingual
from valliance.members.services.enrollment import find_member_by_phone, normalize_phone
from valliance.service_desk.services import managers
from valliance.staff import services as staff_services

desk_cli = AppGroup("desk", help="The VIP service desk: account managers.")


@desk_cli.command("manager", cls=JsonCommand)
@click.option("--phone", required=True, help="The gold or diamond member's mobile number.")
@click.option("--username", required=True, help="The active staff user to be their manager.")
@json_option
def manager_command(phone, username, as_json):
    """Make a staff user a VIP member's account manager (replacing any)."""

    def work():
        member = find_member_by_phone(db.session, normalize_phone(phone))
        if member is None:
            raise NotFound(bilingual("该手机号未注册会员"))
        staff = staff_services.find_staff(db.session, (username or "").strip().lower())
        if staff is None:
            raise NotFound(bilingual("没有这个员工账号：%(username)s", username=username))
        row = managers.assign_manager(db.session, member.id, staff.id, by="cli")
        return row.member_id, row.staff_id

    member_id, staff_id = transaction(work, as_json)
    emit(as_json, {"member_id": member_id, "staff_id": staff_id}, f"{member_id} {staff_id}")

"""Member portal: the profile page (name, masked phone) and changing the password."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_user

from valliance.extensions import db
from valliance.i18n import _
from valliance.members import services
from valliance.members.auth import MemberUser, member_required
from valliance.members.forms import MarketingForm, PasswordForm
from valliance.members.services.marketing_consent import set_marketing_opt_in
from valliance.members.views import bp
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


@bp.route("/profile", methods=["GET", "POST"])
@member_required
@transactional
def profile():
    """Name, masked phone and the change-password form."""
    member = current_user.member
    form = PasswordForm()
    page = on_error(form, lambda: render_template("members/profile.html", member=member,
                                                  form=form, marketing=MarketingForm()))
    if form.validate_on_submit():
        services.change_password(db.session, member, form.current_password.data,
                                 form.password.data)
        # Other browsers and the app are signed out; this browser signs in again.
        login_user(MemberUser(member))
        flash(_("密码已修改，App 需重新登录。"),
              FLASH)
        return redirect(url_for("members.profile"))
    return page()


@bp.route("/profile/marketing", methods=["POST"])
@member_required
@transactional
def marketing():
    """One click: accept or stop marketing messages."""
    member = current_user.member
    form = MarketingForm()
    if form.validate_on_submit():
        opted_in = form.opted_in.data == "1"
        set_marketing_opt_in(db.session, member, opted_in, actor=f"member:{member.id}",
                             via="portal")
        flash(_("已订阅优惠活动短信。") if opted_in else _("已退订优惠活动短信。"), FLASH)
    return redirect(url_for("members.profile"))

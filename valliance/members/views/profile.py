"""Member portal: the profile page (name, masked phone, birthday, marketing consent) and
changing the password."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from valliance.extensions import db
from valliance.i18n import _
from valliance.members import services
from valliance.members.auth import MemberUser, member_required
from valliance.members.forms import BirthdayForm, MarketingForm, PasswordForm
from valliance.members.services.birthday import set_birthday
from valliance.members.services.marketing_consent import set_marketing_opt_in
from valliance.members.views import bp
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _page(member, *, form=None, birthday=None):
    """The profile page with its three forms (the one posted keeps what was typed)."""
    if birthday is None:
        birthday = BirthdayForm(formdata=None, month=str(member.birth_month or ""),
                                day=str(member.birth_day or ""))
    return render_template("members/profile.html", member=member, form=form or PasswordForm(),
                           marketing=MarketingForm(), birthday=birthday)


@bp.route("/profile", methods=["GET", "POST"])
@member_required
@transactional
def profile():
    """Name, masked phone and the change-password form."""
    member = current_user.member
    form = PasswordForm()
    page = on_error(form, lambda: _page(member, form=form))
    if form.validate_on_submit():
        services.change_password(db.session, member, form.current_password.data,
                                 form.password.data)
        # Other browsers and the app are signed out; this browser signs in again.
        login_user(MemberUser(member))
        flash(_("密码已修改，App 需重新登录。"),
              FLASH)
        return redirect(url_for("members.profile"))
    return page()


@bp.route("/profile/birthday", methods=["POST"])
@member_required
@transactional
def birthday():
    """Give, change or clear (the clear button) the birthday."""
    member = current_user.member
    form = BirthdayForm()
    page = on_error(form, lambda: _page(member, birthday=form))
    if not form.validate_on_submit():
        return page()
    month, day = form.values(clear="clear" in request.form)
    set_birthday(db.session, member, month, day, actor=f"member:{member.id}", via="portal")
    flash(_("生日已保存。") if month else _("生日已清除。"), FLASH)
    return redirect(url_for("members.profile", _anchor="birthday"))


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

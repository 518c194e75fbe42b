"""Member portal: sign-up, claiming an imported account, sign-in and sign-out."""

from flask import (
    after_this_request,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user

from valliance import sign_in
from valliance.errors import VallianceError
from valliance.extensions import db, limiter
from valliance.i18n import _, bilingual
from valliance.members import services
from valliance.members.auth import MemberUser
from valliance.members.forms import ClaimForm, ClaimVerifyForm, CodeForm, LoginForm, SignupForm
from valliance.members.services import otp
from valliance.members.services import signup as signup_flow
from valliance.members.views import bp
from valliance.messaging import deliver_after_response
from valliance.passwords import check_password_strength
from valliance.sign_in import login_rate_limits
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH, safe_next
from valliance.web.transactions import on_error, transactional

# --- sign-up and claim ------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@transactional
def signup():
    """Step 1: phone, name and password; a code goes to the phone if it can sign up."""
    form = SignupForm()
    if request.method == "GET" and not form.ref.data:  # the invitation link's ?ref=CODE
        form.ref.data = (request.args.get("ref") or "")[:20]
    page = on_error(form, lambda: render_template("members/signup.html", form=form))
    if form.validate_on_submit():
        pending_id = signup_flow.start_signup(
            db.session, phone=form.phone.data, name=form.name.data,
            password=form.password.data, support_phone=current_app.config["SUPPORT_PHONE"],
            invitation_code=form.ref.data)
        # The cookie holds only the pending sign-up's random id (signup.PendingSignup).
        return _to_the_code_page("signup", {"id": pending_id})
    return page()


def _to_the_code_page(purpose: str, pending: dict):
    session[purpose] = pending
    # Sent once the request has committed; a claim for a phone no member has texts nobody,
    # and the gateway is called after the answer (messaging.deliver_after_response).
    after_this_request(deliver_after_response)
    return redirect(url_for(f"members.{purpose}_verify"))


@bp.route("/signup/verify", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@transactional
def signup_verify():
    """Step 2: the SMS code; the member is enrolled, signed in and shown the card."""
    pending = signup_flow.pending_signup(db.session, (session.get("signup") or {}).get("id"))
    if pending is None:
        return _start_again("signup")
    form = CodeForm()
    page = on_error(form, lambda: render_template("members/verify.html", form=form,
                                                  phone=pending.phone, purpose="signup"),
                    keep_work=True)  # a wrong code's guess stays counted
    if form.validate_on_submit():
        member = signup_flow.finish_signup(db.session, pending, form.code.data)
        session.pop("signup", None)
        login_user(MemberUser(member))
        flash(_("欢迎加入V卡联盟！"), FLASH)
        return redirect(url_for("members.card"))
    return page()


def _start_again(purpose: str):
    if session.pop(purpose, None):  # a sign-up that has expired (not a visit out of the blue)
        flash(_("验证码已过期，请重新获取。"), FLASH)
    return redirect(url_for(f"members.{purpose}"))


@bp.route("/claim", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@transactional
def claim():
    """Imported members: step 1, the phone the operator has on file."""
    form = ClaimForm()
    page = on_error(form, lambda: render_template("members/claim.html", form=form))
    if form.validate_on_submit():
        phone = signup_flow.start_claim(db.session, phone=form.phone.data,
                                        support_phone=current_app.config["SUPPORT_PHONE"])
        return _to_the_code_page("claim", {"phone": phone})
    return page()


@bp.route("/claim/verify", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@transactional
def claim_verify():
    """Imported members: step 2, the SMS code and a new password."""
    pending = session.get("claim")
    if not pending:
        return redirect(url_for("members.claim"))
    form = ClaimVerifyForm()
    page = on_error(form, lambda: render_template("members/verify.html", form=form,
                                                  phone=pending["phone"], purpose="claim"),
                    keep_work=True)  # a wrong code's guess stays counted
    if form.validate_on_submit():
        check_password_strength(form.password.data)
        otp.verify_code(db.session, pending["phone"], "claim", form.code.data)
        return _finish_claim(pending["phone"], form.password.data)
    return page()


def _finish_claim(phone: str, password: str):
    member = signup_flow.claimable_member(db.session, phone)
    session.pop("claim", None)
    if member is None:  # claimed meanwhile (another tab)
        return redirect(url_for("members.login"))
    services.change_password(db.session, member, None, password)
    login_user(MemberUser(member))
    flash(_("账户已激活。"), FLASH)
    return redirect(url_for("members.card"))


# --- sign-in and sign-out ---------------------------------------------------------------


def _login_phone() -> str:
    # The app's sign-in (members/api.py) checks the same passwords: one count for both
    try:
        return "member-login:" + services.normalize_phone(request.form.get("phone", ""))
    except VallianceError:
        return "member-login:-"


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limits(_login_phone, scope="member-sign-in", kind="member")
def login():
    """Sign in with phone and password."""
    if request.method == "GET" and getattr(current_user, "is_member", False):
        return redirect(url_for("members.card"))
    form = LoginForm()
    if form.validate_on_submit():
        member = services.authenticate(db.session, form.phone.data, form.password.data)
        if member is None:
            g.login_failed = True  # counts towards this phone's limit, whatever the address
            form.form_errors.append(bilingual("手机号或密码错误"))
        else:
            session.pop("signup", None)
            session.pop("claim", None)
            login_user(MemberUser(member))
            return redirect(safe_next(request.args.get("next")))
    return render_template("members/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (a POST with its CSRF token, so no other site can sign a member out)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        sign_in.sign_out()  # on the server too: a saved cookie stops working
        flash(_("已退出登录。"), FLASH)
    return redirect(url_for("members.login"))

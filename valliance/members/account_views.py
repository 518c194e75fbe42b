"""Member portal: sign-up, claiming an imported account, sign-in and sign-out."""


from flask import (
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
from valliance.members import otp, services
from valliance.members.auth import MemberUser
from valliance.members.forms import (
    ClaimForm,
    ClaimVerifyForm,
    CodeForm,
    ConfirmForm,
    LoginForm,
    SignupForm,
)
from valliance.members.portal import FLASH, bp, safe_next, show_error, tr
from valliance.messaging import deliver_pending
from valliance.passwords import new_hash
from valliance.sign_in import login_rate_limits

# --- sign-up, claim, sign-in ------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def signup():
    """Step 1: phone, name and password; an SMS code goes to the phone."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            phone = services.normalize_phone(form.phone.data)
            services.check_password_strength(form.password.data)
            existing = services.find_member_by_phone(db.session, phone)
            if existing is not None:
                form.phone.errors = [services.PHONE_TAKEN]
                return render_template("members/signup.html", form=form,
                                       claimable=existing.password_hash is None)
            otp.send_code(db.session, phone, "signup")
        except VallianceError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            # The password waits for the code as a hash, never as text in the (signed) cookie.
            session["signup"] = {"phone": phone, "name": form.name.data.strip(),
                                 "pw": new_hash(form.password.data)}
            db.session.commit()
            deliver_pending(db.session)
            return redirect(url_for("members.signup_verify"))
    return render_template("members/signup.html", form=form, claimable=False)


@bp.route("/signup/verify", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def signup_verify():
    """Step 2: the SMS code; the member is enrolled, signed in and shown the card."""
    pending = session.get("signup")
    if not pending:
        return redirect(url_for("members.signup"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            otp.verify_code(db.session, pending["phone"], "signup", form.code.data)
        except VallianceError as exc:
            db.session.commit()  # keep the counted wrong guess
            show_error(form, exc)
        else:
            try:
                member = services.enroll_member(db.session, phone=pending["phone"],
                                                name=pending["name"],
                                                password_hash=pending["pw"])
            except VallianceError as exc:
                db.session.rollback()
                show_error(form, exc)
            else:
                db.session.commit()
                session.pop("signup", None)
                login_user(MemberUser(member))
                flash(tr("欢迎加入V卡联盟！", "Welcome to the V-card alliance!"), FLASH)
                return redirect(url_for("members.card"))
    return render_template("members/verify.html", form=form, phone=pending["phone"],
                           purpose="signup")


@bp.route("/claim", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def claim():
    """Imported members: step 1, the phone the operator has on file."""
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            phone = services.normalize_phone(form.phone.data)
            member = services.find_member_by_phone(db.session, phone)
            if member is None:
                form.phone.errors = ["未找到该手机号的V卡 / No V-card for this phone"]
            elif member.password_hash:
                form.phone.errors = ["该账户已激活，请直接登录 / Already activated: log in"]
            else:
                otp.send_code(db.session, phone, "claim")
                session["claim"] = {"phone": phone}
                db.session.commit()
                deliver_pending(db.session)
                return redirect(url_for("members.claim_verify"))
        except VallianceError as exc:
            db.session.rollback()
            show_error(form, exc)
    return render_template("members/claim.html", form=form)


@bp.route("/claim/verify", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def claim_verify():
    """Imported members: step 2, the SMS code and a new password."""
    pending = session.get("claim")
    if not pending:
        return redirect(url_for("members.claim"))
    form = ClaimVerifyForm()
    if form.validate_on_submit():
        member = services.find_member_by_phone(db.session, pending["phone"])
        if member is None or member.password_hash:  # claimed meanwhile (another tab)
            session.pop("claim", None)
            return redirect(url_for("members.login"))
        try:
            services.check_password_strength(form.password.data)
            otp.verify_code(db.session, pending["phone"], "claim", form.code.data)
        except VallianceError as exc:
            db.session.commit()  # keep the counted wrong guess
            show_error(form, exc)
        else:
            services.change_password(db.session, member, None, form.password.data)
            db.session.commit()
            session.pop("claim", None)
            login_user(MemberUser(member))
            flash(tr("账户已激活。", "Your account is active."), FLASH)
            return redirect(url_for("members.card"))
    return render_template("members/verify.html", form=form, phone=pending["phone"],
                           purpose="claim")


def _login_phone() -> str:
    try:
        return "portal-login:" + services.normalize_phone(request.form.get("phone", ""))
    except VallianceError:
        return "portal-login:invalid"


@bp.route("/login", methods=["GET", "POST"])
@login_rate_limits(_login_phone)
def login():
    """Sign in with phone and password."""
    if request.method == "GET" and getattr(current_user, "is_member", False):
        return redirect(url_for("members.card"))
    form = LoginForm()
    if form.validate_on_submit():
        member = services.authenticate(db.session, form.phone.data, form.password.data)
        if member is None:
            g.login_failed = True  # counts towards this phone's limit, whatever the address
            form.form_errors.append("手机号或密码错误 / Wrong phone or password")
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
        flash(tr("已退出登录。", "You are signed out."), FLASH)
    return redirect(url_for("members.login"))



"""Member portal: replacing a card reported lost (an SMS code to the member's phone confirms)."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from valliance.errors import VallianceError
from valliance.extensions import db, limiter
from valliance.members import reissue
from valliance.members.forms import CodeForm
from valliance.members.portal import bp, member_required
from valliance.messaging import deliver_pending
from valliance.web.forms import ConfirmForm, show_error
from valliance.web.i18n import tr
from valliance.web.navigation import FLASH


@bp.route("/card/reissue", methods=["GET", "POST"])
@member_required
@limiter.limit("10 per minute", methods=["POST"])
def card_reissue():
    """Step 1: what replacing the card means, and a button that texts the code."""
    member = current_user.member
    if member.card is None or member.card.status != "lost":
        return redirect(url_for("members.card"))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            reissue.request_reissue(db.session, member)
        except VallianceError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            deliver_pending(db.session)
            return redirect(url_for("members.card_reissue_confirm"))
    return render_template("members/reissue.html", member=member, form=form, step="send")


@bp.route("/card/reissue/confirm", methods=["GET", "POST"])
@member_required
@limiter.limit("10 per minute", methods=["POST"])
def card_reissue_confirm():
    """Step 2: the code from the SMS; the new card is issued and shown."""
    member = current_user.member
    if member.card is None or member.card.status != "lost":
        return redirect(url_for("members.card"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            new_card = reissue.confirm_reissue(db.session, member, form.code.data,
                                               current_app.config["SUPPORT_PHONE"])
        except VallianceError as exc:
            db.session.commit()  # keep the counted wrong guess
            show_error(form, exc)
        else:
            return _reissued(new_card)
    return render_template("members/reissue.html", member=member, form=form, step="confirm")


def _reissued(new_card):
    db.session.commit()
    deliver_pending(db.session)
    flash(tr(f"新卡已开通，尾号 {new_card.last4}。积分不变，原卡已停用。",
             f"Your new card ending {new_card.last4} is ready. Your points are unchanged; "
             "the old card no longer works."), FLASH)
    return redirect(url_for("members.card"))

"""Member portal: replacing a card reported lost (an SMS code to the member's phone confirms)."""

from flask import after_this_request, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from valliance.extensions import db, limiter
from valliance.i18n import _
from valliance.members.auth import member_required
from valliance.members.forms import CodeForm
from valliance.members.services import reissue
from valliance.members.views import bp
from valliance.messaging import deliver_pending
from valliance.web.forms import ConfirmForm
from valliance.web.navigation import FLASH
from valliance.web.transactions import on_error, transactional


def _deliver_after_commit() -> None:
    # The SMS is queued in the request's transaction: it goes out once that has committed.
    @after_this_request
    def deliver(response):
        deliver_pending(db.session)
        return response


def _without_a_lost_card() -> bool:
    card = current_user.member.card
    return card is None or card.status != "lost"


@bp.route("/card/reissue", methods=["GET", "POST"])
@member_required
@limiter.limit("10 per minute", methods=["POST"])
@transactional
def card_reissue():
    """Step 1: what replacing the card means, and a button that texts the code."""
    if _without_a_lost_card():
        return redirect(url_for("members.card"))
    member, form = current_user.member, ConfirmForm()
    page = on_error(form, lambda: render_template("members/reissue.html", member=member,
                                                  form=form, step="send"))
    if form.validate_on_submit():
        reissue.request_reissue(db.session, member)
        _deliver_after_commit()
        return redirect(url_for("members.card_reissue_confirm"))
    return page()


@bp.route("/card/reissue/confirm", methods=["GET", "POST"])
@member_required
@limiter.limit("10 per minute", methods=["POST"])
@transactional
def card_reissue_confirm():
    """Step 2: the code from the SMS; the new card is issued and shown."""
    if _without_a_lost_card():
        return redirect(url_for("members.card"))
    member, form = current_user.member, CodeForm()
    page = on_error(form, lambda: render_template("members/reissue.html", member=member,
                                                  form=form, step="confirm"),
                    keep_work=True)  # a wrong code's guess stays counted
    if form.validate_on_submit():
        new_card = reissue.confirm_reissue(db.session, member, form.code.data,
                                           current_app.config["SUPPORT_PHONE"])
        _deliver_after_commit()
        flash(_("新卡已开通，尾号 %(last4)s。积分不变，原卡已停用。", last4=new_card.last4), FLASH)
        return redirect(url_for("members.card"))
    return page()

"""One transaction per page request: `@transactional` commits once when the view returns, rolls
back on any error, and shows a domain error on the form the view bound with `on_error`.

    @bp.route("/staff", methods=["GET", "POST"])
    @transactional
    def staff():
        form = StaffForm()
        page = on_error(form, lambda: render_template("staff.html", form=form))
        if form.validate_on_submit():
            users.add_merchant_user(db.session, ...)   # may raise a VallianceError
            flash(_("Added."), FLASH)
            return redirect(url_for(".staff"))
        return page()

A view whose failed attempt must still be written (a wrong SMS code counts towards its five
guesses) binds with `on_error(form, render, keep_work=True)`: the work done before the error is
committed, not rolled back, and the page shows the error.
"""

from collections.abc import Callable
from functools import wraps

from flask import g
from sqlalchemy.exc import SQLAlchemyError

from valliance.errors import VallianceError
from valliance.extensions import db
from valliance.web.forms import show_error


def on_error(form, render: Callable, *, keep_work: bool = False) -> Callable:
    """Bind the form a domain error belongs on and how to show the page again; return `render`.

    keep_work: commit what was done before the error (a counted wrong guess) instead of
    rolling it back.
    """
    g.form_on_error = (form, render, keep_work)
    return render


def _end_failed(keep_work: bool) -> None:
    if keep_work:
        try:
            db.session.commit()
            return
        except SQLAlchemyError:  # the work itself failed (a race lost at flush): nothing to keep
            pass
    db.session.rollback()


def transactional(view: Callable) -> Callable:
    """Commit once after the view; roll back on error, re-rendering a bound form's page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.pop("form_on_error", None)
        try:
            response = view(*args, **kwargs)
        except VallianceError as exc:
            bound = g.pop("form_on_error", None)
            _end_failed(bound is not None and bound[2])
            if bound is None:
                raise
            form, render, _ = bound
            show_error(form, exc)
            return render()
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return response

    return wrapped

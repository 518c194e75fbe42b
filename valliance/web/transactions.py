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
"""

from collections.abc import Callable
from functools import wraps

from flask import g

from valliance.errors import VallianceError
from valliance.extensions import db
from valliance.web.forms import show_error


def on_error(form, render: Callable) -> Callable:
    """Bind the form a domain error belongs on and how to show the page again; return `render`."""
    g.form_on_error = (form, render)
    return render


def transactional(view: Callable) -> Callable:
    """Commit once after the view; roll back on error, re-rendering a bound form's page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.pop("form_on_error", None)
        try:
            response = view(*args, **kwargs)
        except VallianceError as exc:
            db.session.rollback()
            bound = g.pop("form_on_error", None)
            if bound is None:
                raise
            form, render = bound
            show_error(form, exc)
            return render()
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return response

    return wrapped

"""What every page form shares: the required-field message, the confirm button, and putting a
domain error on the fields it names."""

from flask_wtf import FlaskForm

from valliance.errors import VallianceError
from valliance.i18n import pbilingual

REQUIRED = pbilingual("Required", "必填")


class ConfirmForm(FlaskForm):
    """A button and its CSRF token: logging out, reporting a card lost."""


def show_error(form, exc: VallianceError) -> None:
    """Put a domain error's details on the form fields they name (the rest above the form)."""
    for field_name, messages in (exc.details or {"": [exc.message]}).items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)

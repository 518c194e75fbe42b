"""The portal's desk forms (Flask-WTF: each carries a CSRF token). They only carry what was
typed: the ticket services say what is wrong with it, field by field."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class TicketForm(FlaskForm):
    """报修 / 办理业务: a kind, a short description, the contact phone, where and when."""

    kind = StringField()
    summary = TextAreaField()
    contact_phone = StringField()
    address = StringField()
    preferred_time = StringField()

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "kind", "summary", "contact_phone", "address", "preferred_time")}


class ReopenForm(FlaskForm):
    """还没解决: an optional note."""

    note = TextAreaField()


class RatingForm(FlaskForm):
    """A score of 1–5 (radio buttons) and an optional comment."""

    score = StringField()
    comment = TextAreaField()

    def score_value(self):
        """The score as a number; anything else as given, for the service to refuse."""
        text = (self.score.data or "").strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) < 3 else text

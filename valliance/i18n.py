"""gettext for every user-facing string: catalogs, the page's language, and the API's
"中文 / English" messages built from the same catalogs.

Message ids are the Chinese text (zh_CN is the source language: its catalog needs no
translations); `translations/<locale>/LC_MESSAGES/messages.po` translates them, `en` in full.
A new catalog is a new language: the supported locales are the catalogs present.
"""

import os
from functools import cache
from io import BytesIO
from pathlib import Path

import flask_babel
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context
from flask.json.tag import JSONTag
from markupsafe import Markup, escape

TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "messages"
#: the source language: message ids are written in it
DEFAULT_LOCALE = "zh_CN"
#: the language that the API's messages carry after the Chinese (contract §1)
API_SECOND_LOCALE = "en"

gettext = _ = flask_babel.gettext
ngettext = flask_babel.ngettext
pgettext = flask_babel.pgettext
lazy_gettext = _l = flask_babel.lazy_gettext


def N_(msgid: str) -> str:  # noqa: N802 (gettext's name for "mark for extraction")
    """Mark a string for the catalogs without translating it here (labels in tables)."""
    return msgid


def N_ctx(context: str, msgid: str) -> str:  # noqa: N802
    """N_() for a label whose Chinese means something else elsewhere (its context)."""
    return msgid


def label_text(pair) -> str:
    """A ("中文", "English", …) label in the request's language (its context first)."""
    zh = pair[0]
    text = pgettext(pair[1], zh) if len(pair) > 1 else zh
    return text if text != zh else gettext(zh)


def language_tag(locale: str) -> str:
    """A locale's BCP 47 tag for HTML's lang attribute ("zh_CN" → "zh-CN")."""
    return str(locale).replace("_", "-")


def locales() -> tuple[str, ...]:
    """The source language, then every language that has a catalog, in name order."""
    found = sorted(p.parent.parent.name for p in TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (DEFAULT_LOCALE, *[name for name in found if name != DEFAULT_LOCALE])


def compile_catalogs(force: bool = False) -> None:
    """Compile every .po whose .mo is missing or older (`make catalogs` does it ahead, forced).

    Not `pybabel compile`: its format check refuses a translation that uses a value the Chinese
    does not ("8.8折" is "12% off"), which our messages do on purpose. Each .mo is written
    beside and then moved into place, so a process starting meanwhile never reads half of one.
    """
    for po in TRANSLATIONS.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            partial = mo.with_name(f"{mo.name}.{os.getpid()}")
            with partial.open("wb") as target:
                write_mo(target, catalog)
            os.replace(partial, mo)


@cache
def catalog(locale: str) -> NullTranslations:
    """One locale's translations, read once (from the .po when its .mo is not built yet)."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as source:
            return Translations(source, domain=DOMAIN)
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        compiled = BytesIO()
        write_mo(compiled, read_po(source, locale=locale))
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _format(text: str, params: dict) -> str:
    return text % params if params else text


def _part(params: dict, language: str) -> dict:
    """A message's parameters with each Bilingual one in one language (a message inside a
    message: "折扣 …：须在 0 到 90 之间 / percent_off …: between 0 and 90", not both twice)."""
    return {key: getattr(value, language, value) if isinstance(value, Bilingual) else value
            for key, value in params.items()}


class Bilingual(str):
    """A message whose text is "中文 / English" (the API's, logs', the shell's, equality) and
    that a page shows in the visitor's language only (Jinja calls __html__)."""

    def __new__(cls, msgid: str, context: str | None = None, params: dict | None = None):
        params = params or {}
        second = catalog(API_SECOND_LOCALE)
        english = second.pgettext(context, msgid) if context else second.gettext(msgid)
        chinese = _format(msgid, _part(params, "chinese"))
        english = _format(english, _part(params, "english"))
        self = super().__new__(cls, f"{chinese} / {english}")
        self.msgid, self.context, self.params = msgid, context, params
        self.chinese, self.english = chinese, english
        return self

    def localized(self) -> str:
        """The text in the request's language (the whole "中文 / English" outside a request)."""
        if not has_request_context():
            return str(self)
        params = {key: localized(value) for key, value in self.params.items()}
        if self.context:
            return flask_babel.pgettext(self.context, self.msgid, **params)
        return flask_babel.gettext(self.msgid, **params)

    def __html__(self) -> Markup:
        return escape(self.localized())

    def __reduce__(self):
        return (Bilingual, (self.msgid, self.context, self.params))


def bilingual(msgid: str, /, **params) -> Bilingual:
    """A message for the API ("中文 / English") that pages show in one language."""
    return Bilingual(msgid, None, params)


def pbilingual(context: str, msgid: str, /, **params) -> Bilingual:
    """bilingual() for a message id that means something else elsewhere (its context)."""
    return Bilingual(msgid, context, params)


def localized(text) -> str:
    """A message in the request's language (text that is not a Bilingual unchanged)."""
    return text.localized() if isinstance(text, Bilingual) else text


class _BilingualTag(JSONTag):
    """Keep a flashed Bilingual one across the session cookie (shown in the next page's
    language, not frozen in the one it was flashed in)."""

    __slots__ = ()
    key = " bl"

    def check(self, value) -> bool:
        return isinstance(value, Bilingual)

    def to_json(self, value):
        return [value.msgid, value.context, self.serializer.tag(value.params)]

    def to_python(self, value):
        msgid, context, params = value
        return Bilingual(msgid, context, params)


def _plain(function):
    # Jinja's i18n extension marks translations safe (Markup) and escapes only the values;
    # here a message id is text, never markup: the whole translation is escaped on output.
    return lambda *args, **kwargs: function(*args, **kwargs)


def init_app(app: Flask) -> None:
    """Build the catalogs if needed; `_`, gettext, ngettext, pgettext in templates."""
    compile_catalogs()
    app.jinja_env.globals.update(
        _=_plain(gettext), gettext=_plain(gettext), ngettext=_plain(ngettext),
        pgettext=_plain(pgettext), localized=localized, label_text=label_text,
        available_locales=locales())
    app.jinja_env.filters["localized"] = localized
    app.jinja_env.filters["language_tag"] = language_tag
    serializer = app.session_interface.serializer
    if not any(isinstance(tag, _BilingualTag) for tag in serializer.order):
        serializer.register(_BilingualTag, index=0)

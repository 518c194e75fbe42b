"""Every message in the code has its translation in every catalog.

The rule: message ids are the Chinese text (zh_CN is the source language, its catalog needs no
translation); every other catalog (English, and any language added later) translates every
message, none fuzzy. (A translation may use a value the Chinese does not: "8.8折" is "12% off";
the code passes both.)
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from valliance import i18n

ROOT = Path(__file__).parents[2]
#: keywords beyond gettext's own (the Makefile's BABEL_KEYWORDS)
KEYWORDS = {**DEFAULT_KEYWORDS, "bilingual": None, "pbilingual": ((1, "c"), 2),
            "N_ctx": ((1, "c"), 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _extracted() -> set[tuple[str | None, str]]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add((context, msgid))
    return found


@pytest.fixture(scope="module")
def extracted():
    return _extracted()


def _catalog(locale: str):
    with (i18n.TRANSLATIONS / locale / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=locale)


def test_every_language_translates_every_message(extracted):
    translated = [name for name in i18n.locales() if name != i18n.DEFAULT_LOCALE]
    assert "en" in translated
    for locale in translated:
        catalog = _catalog(locale)
        missing = sorted(msgid for context, msgid in extracted
                         if not (m := catalog.get(msgid, context=context)) or not m.string)
        fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
        assert not missing, f"{locale}: no translation for {missing[:20]}"
        assert not fuzzy, f"{locale}: fuzzy translations {fuzzy[:20]}"


def test_message_ids_are_chinese(extracted):
    # the source language needs no catalog entries only while every id is written in it
    english = sorted(msgid for _, msgid in extracted
                     if re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", msgid))
                     and not re.search(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]", msgid))
    assert not english, f"message ids not in Chinese: {english[:20]}"
    assert (i18n.TRANSLATIONS / i18n.DEFAULT_LOCALE / "LC_MESSAGES" / "messages.po").exists()


def test_api_messages_are_chinese_then_english():
    from valliance.errors import InsufficientPoints

    assert InsufficientPoints.message == "积分不足 / Not enough points"
    assert i18n.bilingual("积分不足").localized() == "积分不足 / Not enough points"  # no request

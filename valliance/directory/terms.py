"""Search keys for the 114 directory (what a search document holds), and how a query is cut
into terms.

An offer's keys are its merchant's name, its title, its category and its merchant's address:
as written (NFKC, lowercased: `han`), and in full pinyin (`laowanghuoguo`) and initials
(`lwhg`) (`spelled`). They are made when a merchant or offer is written — pypinyin is far too
slow to run per query — and searched by substring:
- a term with Chinese (or any non-ASCII) characters in `han`;
- a term of 3+ ASCII letters or digits in `spelled` (pinyin, initials, Latin words, numbers);
- a term of 1–2 ASCII letters or digits in the initials and the written words (`hg`, `88`):
  in full pinyin two letters are in nearly every offer and would find everything.

Words are separated by a space. Query terms never contain one (a query is split on whitespace
and punctuation), so a term never matches across two words.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin.constants import RE_HANS, Style
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin
from pypinyin.style import convert as convert_style

from valliance.i18n import N_

#: a typo (one letter wrong, missing or extra) is tolerated in pinyin terms this long or longer
TYPO_MIN_LETTERS = 5
#: readings of a merchant name's first character as a surname, where pypinyin's everyday
#: reading differs (曾记粥铺 is zeng ji, not ceng ji); the name is indexed both ways
SURNAME_READINGS = {
    N_("曾"): "zeng",
    N_("单"): "shan",
    N_("解"): "xie",
    N_("仇"): "qiu",
    N_("区"): "ou",
    N_("查"): "zha",
    N_("朴"): "piao",
    N_("翟"): "zhai",
    N_("盖"): "ge",
    N_("覃"): "qin",
    N_("缪"): "miao",
    N_("尉"): "yu",
    N_("召"): "shao",
    N_("秘"): "bi",
}

ALPHABET = "abcdefghijklmnopqrstuvwxyz"
#: the length of the letter sequences kept to check a typo's spellings against: as long as
#: the shortest spelling searched, so that each is checked whole or in overlapping pieces
#: (with four letters, 13 of the 19 spellings kept for jiudan and shaokai occurred nowhere)
GRAM = TYPO_MIN_LETTERS
_LETTERS = re.compile(r"[a-z]+")
_LETTER_RUN = re.compile(f"[a-z]{{{GRAM},}}")
_ALNUM_RUN = re.compile(r"[^\W_]+")
#: marks what pypinyin hands back untouched: characters it has no reading for
_OTHER = "\x00"
#: runs of the characters pypinyin reads (its own RE_HANS class), and runs of anything else
_HAN_CLASS = RE_HANS.pattern.removeprefix("^(?:").removesuffix(")+$")
_HAN_OR_NOT = re.compile(f"({_HAN_CLASS}+)|((?:(?!{_HAN_CLASS}).)+)", re.DOTALL)
#: where an ASCII letter meets a non-ASCII character: `kfc肯德基` is two terms
_SCRIPT_BOUNDARY = re.compile(r"(?<=[a-z])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[a-z])")


@lru_cache(maxsize=4096)
def _toneless(syllable: str) -> str:
    return convert_style(syllable, Style.NORMAL, True, default=syllable)


class _Converter(DefaultConverter):
    # pypinyin spends most of its time converting each syllable's tone marks away with
    # regular expressions; there are only ~1,500 syllables, so convert each once.
    def convert_style(self, han, orig_pinyin, style, strict, **kwargs):
        return _toneless(orig_pinyin)


_pinyin = Pinyin(_Converter())


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits typed with a Chinese IME become ASCII), lowercase,
    ü as v (as pinyin keyboards type it), whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "").lower().replace("ü", "v")
    return " ".join(text.split())


def syllables(text: str) -> list[tuple[str, bool]]:
    """(pinyin, is Chinese) per Chinese character; other runs (`kfc`, `88`) whole, not Chinese."""
    # pypinyin cuts text into runs of Chinese and of anything else (its simple_seg), and
    # converts each run on its own, so converting each run once gives the same answer,
    # faster: addresses and shop names share most runs (温州市鹿城区五马街, 火锅).
    items: list[tuple[str, bool]] = []
    for han, other in _HAN_OR_NOT.findall(text):
        if han:
            items += _han_syllables(han)
        else:
            items += [(word, False) for word in _ALNUM_RUN.findall(other)]
    return items


@lru_cache(maxsize=262144)
def _han_syllables(run: str) -> tuple[tuple[str, bool], ...]:
    items = []
    for item in _pinyin.lazy_pinyin(run, errors=lambda chars: _OTHER + chars):
        chinese = not item.startswith(_OTHER)
        items += [(word, chinese) for word in _ALNUM_RUN.findall(item if chinese else item[1:])]
    return tuple(items)


def _keys(items: list[tuple[str, bool]]) -> tuple[str, str]:
    full = "".join(word for word, _ in items)
    initials = "".join(word[0] if chinese else word for word, chinese in items)
    return full, initials


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of normalized text: 老王火锅kfc → (laowanghuoguokfc, lwhgkfc)."""
    return _keys(syllables(text))


@dataclass(frozen=True)
class Keys:
    """An offer's search keys: texts of words separated by spaces."""

    #: the name, title, category and address as written (normalized)
    han: str
    #: each of them in full pinyin and in initials (Latin words and numbers kept as they are)
    spelled: str
    #: the initials alone (what a one- or two-letter query is matched against)
    initials: str
    #: every one- and two-character substring of the written words and of the initials:
    #: what PostgreSQL looks Chinese terms, and short terms, up by
    grams: str
    #: the five-letter sequences of the full pinyin and Latin words (letter_grams)
    letters: frozenset[str]


@dataclass(frozen=True)
class _FieldKeys:
    """The keys of one field, as words and sets (to be merged with other fields')."""

    written: tuple[str, ...]
    spelled: tuple[str, ...]
    initials: tuple[str, ...]
    grams: frozenset[str]
    letters: frozenset[str]


def _short_grams(text: str) -> set[str]:
    found: set[str] = set()
    for run in _ALNUM_RUN.findall(text):
        found.update(run)
        found.update(map(str.__add__, run, run[1:]))
    return found


@lru_cache(maxsize=262144)
def _field_keys(text: str, as_name: bool) -> _FieldKeys:
    """The keys of one field (cached: titles and categories repeat)."""
    text = normalize(text)
    items = syllables(text)
    full, initials = _keys(items)
    fulls, firsts = [full], [initials]
    if as_name and text[:1] in SURNAME_READINGS and items:
        # the name again, its first character read as a surname
        full, initials = _keys([(SURNAME_READINGS[text[0]], True), *items[1:]])
        fulls.append(full)
        firsts.append(initials)
    grams = _short_grams(text)
    for first in firsts:
        grams |= _short_grams(first)
    return _FieldKeys(tuple(text.split()), tuple(filter(None, fulls + firsts)),
                      tuple(filter(None, firsts)), frozenset(grams),
                      frozenset(letter_grams(" ".join(fulls))))


def _joined(*fields: _FieldKeys) -> Keys:
    def words(kind: str) -> str:
        return " ".join(dict.fromkeys(word for f in fields for word in getattr(f, kind)))

    return Keys(words("written"), words("spelled"), words("initials"),
                " ".join(frozenset().union(*(f.grams for f in fields))),
                frozenset().union(*(f.letters for f in fields)))


@lru_cache(maxsize=131072)
def _merchant_keys(name: str, category: str, address: str) -> Keys:
    """The name, category and address together: every offer of a merchant shares them."""
    return _joined(_field_keys(name, True), _field_keys(category, False),
                   _field_keys(address, False))


@lru_cache(maxsize=65536)
def _title_keys(title: str) -> Keys:
    return _joined(_field_keys(title, False))


def offer_keys(name: str, title: str, category: str, address: str) -> Keys:
    """The search keys of one offer (made when it or its merchant is written).

    The merchant's keys and the title's are put side by side, not merged: a word or gram
    they share is then said twice, which no search minds, and an import of 100,000 offers
    spends no time merging."""
    m, t = _merchant_keys(name, category, address), _title_keys(title)
    if not t.han:
        return m
    return Keys(f"{m.han} {t.han}", f"{m.spelled} {t.spelled}", f"{m.initials} {t.initials}",
                f"{m.grams} {t.grams}", m.letters | t.letters)


# --- queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One piece of the query that must occur in the document."""

    text: str

    @property
    def short(self) -> bool:
        """Too short for a trigram index (1–2 characters)."""
        return len(self.text) < 3

    @property
    def ascii(self) -> bool:
        """Letters and digits only (pinyin, initials, Latin words, numbers)."""
        return self.text.isascii()

    def bigrams(self) -> list[str]:
        """Its two-character substrings (itself, when shorter)."""
        if len(self.text) < 3:
            return [self.text]
        return sorted({self.text[i:i + 2] for i in range(len(self.text) - 1)})

    @property
    def typo_tolerant(self) -> bool:
        """A pinyin-like term of five letters or more: one typo is forgiven."""
        return len(self.text) >= TYPO_MIN_LETTERS and bool(_LETTERS.fullmatch(self.text))


def query_terms(q: str) -> list[Term]:
    """Split a query into terms: on whitespace and punctuation, and where Latin letters meet
    Chinese (`KFC肯德基` → kfc, 肯德基). Terms hold letters and digits only, so they never
    contain a LIKE or GLOB metacharacter (`%`, `_`, `*`, `?`, `[`, `\\`)."""
    found: dict[str, Term] = {}
    for run in _ALNUM_RUN.findall(normalize(q)):
        for text in _SCRIPT_BOUNDARY.split(run):
            if text:
                found.setdefault(text, Term(text))
    return list(found.values())


def one_typo_away(term: str) -> set[str]:
    """Every string of letters one edit from the term (a letter wrong, missing or extra), and
    the term itself — of five letters or more: a query of five letters that had one too many
    meant four, and four-letter strings are in a large part of all pinyin."""
    found = {term}
    for i in range(len(term)):
        found.add(term[:i] + term[i + 1:])
        found.update(term[:i] + letter + term[i + 1:] for letter in ALPHABET)
    for i in range(len(term) + 1):
        found.update(term[:i] + letter + term[i:] for letter in ALPHABET)
    return {spelling for spelling in found if len(spelling) >= TYPO_MIN_LETTERS}


def letter_grams(text: str) -> set[str]:
    """The five-letter sequences of the text's runs of letters: what a spelling must be made
    of to occur in a document (shorter runs have none)."""
    return {run[i:i + GRAM] for run in _LETTER_RUN.findall(text)
            for i in range(len(run) - GRAM + 1)}


@lru_cache(maxsize=4096)
def typo_candidates(term: str) -> tuple[tuple[tuple[str, frozenset[str]], ...], tuple[str, ...]]:
    """The spellings one typo from the term, each with the letter grams it is made of, and
    every gram they need (sorted): some 300 spellings, made once per term, not per query."""
    spellings = tuple((spelling, frozenset(letter_grams(spelling)))
                      for spelling in sorted(one_typo_away(term)))
    return spellings, tuple(sorted(set().union(*(grams for _, grams in spellings))))


def shortest_spellings(spellings: set[str]) -> list[str]:
    """Drop every spelling that contains another: a document containing `huoguo` contains
    `uoguo`, so `%uoguo%` alone finds both."""
    kept: list[str] = []
    for spelling in sorted(spellings, key=len):
        if not any(shorter in spelling for shorter in kept):
            kept.append(spelling)
    return sorted(kept)

"""Search keys for the 114 directory: one lowercased document per offer, and query terms.

The document holds the merchant's name, the offer's title, the category and the address, each
as written (NFKC, lowercased), in full pinyin (`laowanghuoguo`) and as pinyin initials
(`lwhg`). It is computed when a merchant or offer is written (pypinyin is far too slow to run
per query) and searched by substring, so one LIKE answers Chinese, pinyin and initials alike.

Pieces are separated by a space. Query terms never contain one (a query is split on
whitespace and punctuation), so a term never matches across two pieces.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin.constants import Style
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin
from pypinyin.style import convert as convert_style

#: a typo (one letter wrong, missing or extra) is tolerated in pinyin terms this long or longer
TYPO_MIN_LETTERS = 5
#: readings of a merchant name's first character as a surname, where pypinyin's everyday
#: reading differs (曾记粥铺 is zeng ji, not ceng ji); the name is indexed both ways
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
    "翟": "zhai", "盖": "ge", "覃": "qin", "缪": "miao", "尉": "yu", "召": "shao", "秘": "bi",
}

ALPHABET = "abcdefghijklmnopqrstuvwxyz"
#: the length of the letter sequences kept to check a typo's spellings against
GRAM = 4
_LETTERS = re.compile(r"[a-z]+")
_LETTER_RUN = re.compile(r"[a-z]{4,}")
_ALNUM_RUN = re.compile(r"[^\W_]+")
#: marks what pypinyin hands back untouched: text that is not Chinese
_OTHER = "\x00"
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
    # pypinyin cuts text into words and converts each word on its own, so converting each
    # word once (shop names and addresses share most words) gives the same answer, faster.
    return [item for word in _pinyin.seg(text) for item in _word_syllables(word)]


@lru_cache(maxsize=65536)
def _word_syllables(word: str) -> tuple[tuple[str, bool], ...]:
    items = []
    for item in _pinyin.lazy_pinyin(word, errors=lambda chars: _OTHER + chars):
        chinese = not item.startswith(_OTHER)
        items += [(run, chinese) for run in _ALNUM_RUN.findall(item if chinese else item[1:])]
    return tuple(items)


def _keys(items: list[tuple[str, bool]]) -> tuple[str, str]:
    full = "".join(word for word, _ in items)
    initials = "".join(word[0] if chinese else word for word, chinese in items)
    return full, initials


def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of normalized text: 老王火锅kfc → (laowanghuoguokfc, lwhgkfc)."""
    return _keys(syllables(text))


def document(name: str, title: str, category: str, address: str) -> str:
    """The searchable text of one offer: every field as written, in pinyin and in initials."""
    pieces: list[str] = []
    for field, text in enumerate((normalize(name), normalize(title), normalize(category),
                                  normalize(address))):
        items = syllables(text)
        pieces += [text, *_keys(items)]
        if field == 0 and text[:1] in SURNAME_READINGS and items:
            # the name again, its first character read as a surname
            pieces += _keys([(SURNAME_READINGS[text[0]], True), *items[1:]])
    words = (word for piece in pieces for word in piece.split(" ") if word)
    return " ".join(dict.fromkeys(words))


def short_grams(doc: str) -> list[str]:
    """Every distinct one- and two-character substring of the document's words: what a query
    too short for trigrams is looked up by (PostgreSQL)."""
    grams: set[str] = set()
    for word in doc.split(" "):
        grams.update(word)
        grams.update(word[i:i + 2] for i in range(len(word) - 1))
    return sorted(grams)


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
    the term itself."""
    found = {term}
    for i in range(len(term)):
        found.add(term[:i] + term[i + 1:])
        found.update(term[:i] + letter + term[i + 1:] for letter in ALPHABET)
    for i in range(len(term) + 1):
        found.update(term[:i] + letter + term[i:] for letter in ALPHABET)
    return found


def letter_grams(text: str) -> set[str]:
    """The four-letter sequences of the text's runs of letters: what a spelling must be made
    of to occur in a document (shorter runs have none)."""
    return {run[i:i + GRAM] for run in _LETTER_RUN.findall(text)
            for i in range(len(run) - GRAM + 1)}


def shortest_spellings(spellings: set[str]) -> list[str]:
    """Drop every spelling that contains another: a document containing `huoguo` contains
    `uoguo`, so `%uoguo%` alone finds both."""
    kept: list[str] = []
    for spelling in sorted(spellings, key=len):
        if not any(shorter in spelling for shorter in kept):
            kept.append(spelling)
    return sorted(kept)

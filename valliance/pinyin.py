"""Pinyin keys of a person's name, for searching by how it sounds: full pinyin and initials.

张三 → ("zhangsan", "zs"); 曾小明 → ("zengxiaoming", "zxm"): the first character is read as a
surname where its everyday reading differs. Latin letters and digits are kept as they are
(Tom李 → "tomli", "toml"). pypinyin is slow, so keys are made when a name is written, never per
search.
"""

import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

#: a surname's reading where pypinyin's everyday reading differs (曾 zeng, not ceng)
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
    "翟": "zhai", "盖": "ge", "覃": "qin", "缪": "miao", "尉": "yu", "召": "shao", "秘": "bi",
    "乐": "yue",
}
_ALNUM = re.compile(r"[a-z0-9]+")
#: what the name keys may hold (the columns' widths)
MAX_PINYIN, MAX_INITIALS = 300, 60
_NOT_KEY = "\x00"


def normalize(text: str) -> str:
    """NFKC (full-width letters typed with a Chinese IME become ASCII), lowercase, ü as v."""
    return unicodedata.normalize("NFKC", text or "").lower().replace("ü", "v")


@lru_cache(maxsize=65536)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lowercase letters and digits only."""
    text = normalize(name).strip()
    full, initials = [], []
    if text[:1] in SURNAME_READINGS:
        full.append(SURNAME_READINGS[text[0]])
        initials.append(SURNAME_READINGS[text[0]][0])
        text = text[1:]
    for item in lazy_pinyin(text, style=Style.NORMAL, errors=lambda run: _NOT_KEY + run):
        chinese = not item.startswith(_NOT_KEY)
        for word in _ALNUM.findall(normalize(item.lstrip(_NOT_KEY))):
            full.append(word)
            initials.append(word[0] if chinese else word)
    return "".join(full)[:MAX_PINYIN], "".join(initials)[:MAX_INITIALS]

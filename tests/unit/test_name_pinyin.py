"""Pinyin keys of members' names (staff search by pinyin and initials)."""

import pytest

from valliance.pinyin import name_keys


@pytest.mark.parametrize(("name", "keys"), [
    ("张三", ("zhangsan", "zs")),
    ("曾小明", ("zengxiaoming", "zxm")),  # a surname's reading, not ceng
    ("单田芳", ("shantianfang", "stf")),
    ("欧阳娜娜", ("ouyangnana", "oynn")),
    ("吕布", ("lvbu", "lb")),  # ü typed as v
    ("Tom 李", ("tomli", "toml")),  # Latin words whole
    ("ＡＢＣ刘", ("abcliu", "abcl")),  # full-width letters as typed with a Chinese IME
    ("", ("", "")),
])
def test_name_keys(name, keys):
    assert name_keys(name) == keys


def test_keys_fit_their_columns():
    full, initials = name_keys("Alexander" * 6)
    assert len(full) <= 300 and len(initials) <= 60

"""Bulk imports on PostgreSQL: `flask members import` and `flask members import-spend`.

    .venv/bin/python -m bench.import_bench [--rows 100000]

Uses its own database (valliance_import_bench), reset on every run. Generates the VIP list
(realistic 1[3-9]… mobile numbers, Chinese names, fixed seed) and a year of telecom spend
into temporary CSV files, then times the real commands as an operator runs them. The target:
100,000 members in under two minutes.
"""

import argparse
import random
import tempfile
from pathlib import Path

from bench.common import fresh_app, timed

BENCH_DB = "valliance_import_bench"
TARGET_SECONDS = 120
SEED = 20261123

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段章钱汤尹黎易常武乔贺赖龚文池"  # noqa: E501
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志海燕晓东婷浩然雨萱梓轩思远瓯鹿鸣温婉家豪欣怡子涵宇航佳琪嘉怡晨阳"  # noqa: E501


def build_database() -> str:
    """A fresh benchmark database, built by the app's migrations; its URL."""
    return fresh_app(BENCH_DB)[1]


def generate(directory: Path, rows: int) -> tuple[Path, Path]:
    """The VIP list and last year's spend for the same phones (plus 1% unknown phones)."""
    rng = random.Random(SEED)
    phones: set[str] = set()
    while len(phones) < rows + rows // 100:
        phones.add(f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}")
    ordered = sorted(phones)
    rng.shuffle(ordered)
    members, strangers = ordered[:rows], ordered[rows:]
    vip = directory / "vip.csv"
    with vip.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("phone,name\n")
        for phone in members:
            given = "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
            out.write(f"{phone},{rng.choice(SURNAMES)}{given}\n")
    spend = directory / "spend.csv"
    with spend.open("w", encoding="utf-8", newline="") as out:
        out.write("phone,year,amount_fen\n")
        for phone in members + strangers:
            out.write(f"{phone},2025,{int(rng.lognormvariate(12.5, 0.6))}\n")
    return vip, spend


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    url = build_database()
    with tempfile.TemporaryDirectory(prefix="valliance-import-") as tmp:
        vip, spend = generate(Path(tmp), rows)
        runs = [
            ("members import (first run)", ("members", "import", str(vip))),
            ("members import (re-run, all skipped)", ("members", "import", str(vip))),
            ("members import-spend", ("members", "import-spend", str(spend))),
            ("members import-spend (re-run)", ("members", "import-spend", str(spend))),
            ("tiers review --year 2025", ("tiers", "review", "--year", "2025")),
        ]
        print(f"PostgreSQL {BENCH_DB}, {rows:,} members "
              f"(spend file: {rows + rows // 100:,} rows)")
        first = None
        for label, args in runs:
            seconds, answer = timed(url, *args)
            first = first if first is not None else seconds
            count = answer.get("rows", answer.get("reviewed", 0))
            print(f"  {label:<38} {seconds:7.1f} s  {count / seconds:9,.0f} rows/s  {answer}")
    verdict = "OK" if first < TARGET_SECONDS else "TOO SLOW"
    print(f"target: {rows:,} members in < {TARGET_SECONDS} s — {verdict}")


if __name__ == "__main__":
    main()

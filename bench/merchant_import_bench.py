"""Bulk merchant import on PostgreSQL: `flask merchants import`.

    .venv/bin/python -m bench.merchant_import_bench [--rows 100000]

Uses its own database (valliance_merchant_bench), reset on every run. Generates merchants
and offers (realistic Chinese names, categories, districts and addresses; fixed seed) into a
temporary CSV, then times the real command as an operator runs it: a first import, a re-run
(everything skipped) and a run where one row in ten changed. The target: 100,000 rows in
under a minute.
"""

import argparse
import random
import tempfile
from pathlib import Path

from bench.common import fresh_app, timed
from valliance.merchants.models import CATEGORIES

BENCH_DB = "valliance_merchant_bench"
TARGET_SECONDS = 60
SEED = 20261123
HEADER = "name,category,district,address,phone,avg_spend,title,percent_off,points_per_yuan\n"

DISTRICTS = ("鹿城区", "龙湾区", "瓯海区", "洞头区", "乐清市", "瑞安市", "永嘉县", "平阳县",
             "苍南县", "文成县", "泰顺县", "龙港市", "鹿城镇", "城东区", "城西区", "开发区")
STREETS = ("人民路", "解放路", "五马街", "府前街", "信河街", "车站大道", "学院路", "锦绣路",
           "温州大道", "南塘街", "江滨路", "新城大道", "世纪大道", "黎明路", "矮凳桥")
PREFIXES = ("老王", "老李", "阿强", "小杨", "金华", "瓯越", "鹿城", "东方", "新世纪", "华联",
            "百姓", "悦来", "福满", "好运", "聚贤", "状元", "江南", "龙湾", "海港", "山水")
KINDS = {
    "餐饮": ("火锅", "面馆", "烧烤", "海鲜楼", "小吃店", "茶餐厅", "咖啡馆", "饺子馆"),
    "酒店": ("大酒店", "商务宾馆", "快捷酒店", "民宿"),
    "零售": ("超市", "便利店", "水果店", "母婴店", "数码城"),
    "娱乐": ("KTV", "影城", "网咖", "桌游吧", "剧本杀"),
    "美容美发": ("美发沙龙", "美甲店", "美容院", "造型工作室"),
    "汽车服务": ("洗车行", "汽车美容", "轮胎店", "汽修厂"),
    "教育培训": ("英语培训", "舞蹈学校", "书法班", "驾校"),
    "医疗健康": ("大药房", "口腔诊所", "眼镜店", "推拿馆"),
    "生活服务": ("干洗店", "照相馆", "家政公司", "开锁店"),
}
TITLES = ("会员折扣", "午市套餐", "周末特惠", "新客立减", "V卡专享", "工作日优惠", "节日特惠",
          "储值优惠")
AVG_SPEND = {"餐饮": 8000, "酒店": 30000, "零售": 5000, "娱乐": 12000, "美容美发": 10000,
             "汽车服务": 15000, "教育培训": 50000, "医疗健康": 10000, "生活服务": 6000}


def build_database() -> str:
    """A fresh benchmark database, built by the app's migrations; its URL."""
    return fresh_app(BENCH_DB)[1]


def merchant_rows(rows: int) -> list[list[str]]:
    """rows offers of about rows / 2 merchants (one to three offers each)."""
    rng = random.Random(SEED)
    out: list[list[str]] = []
    seen: set[tuple[str, str]] = set()
    while len(out) < rows:
        category = rng.choice(CATEGORIES)
        name = f"{rng.choice(PREFIXES)}{rng.choice(KINDS[category])}"
        if rng.random() < 0.8:  # most merchants are one of a kind: a branch number or name
            name += f"（{rng.choice(STREETS)}{rng.randrange(1, 999)}号店）"
        district = rng.choice(DISTRICTS)
        if (name, district) in seen:
            continue
        seen.add((name, district))
        address = f"{district}{rng.choice(STREETS)}{rng.randrange(1, 999)}号"
        phone = f"0577-{rng.randrange(10**7, 10**8)}"
        avg_spend = str(int(AVG_SPEND[category] * rng.uniform(0.5, 2)) // 100 * 100)
        for title in rng.sample(TITLES, rng.choice((1, 2, 2, 3))):
            percent = rng.choice(("5", "8", "10", "12", "12.5", "15", "20", "0"))
            out.append([name, category, district, address, phone, avg_spend, title, percent,
                        str(rng.choice((1, 1, 1, 2, 3)))])
    return out[:rows]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for row in rows:
            out.write(",".join(row) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    count = parser.parse_args().rows
    url = build_database()
    rows = merchant_rows(count)
    changed = [row[:7] + [str(min(90, int(float(row[7])) + 1)), row[8]] if i % 10 == 0 else row
               for i, row in enumerate(rows)]
    with tempfile.TemporaryDirectory(prefix="valliance-merchants-") as tmp:
        first_file = write(Path(tmp) / "merchants.csv", rows)
        changed_file = write(Path(tmp) / "merchants-changed.csv", changed)
        runs = [
            ("merchants import (first run)", first_file),
            ("merchants import (re-run, all skipped)", first_file),
            ("merchants import (1 row in 10 changed)", changed_file),
        ]
        merchants = len({(row[0], row[2]) for row in rows})
        print(f"PostgreSQL {BENCH_DB}, {count:,} rows ({merchants:,} merchants)")
        first = None
        for label, path in runs:
            seconds, answer = timed(url, "merchants", "import", str(path))
            first = first if first is not None else seconds
            print(f"  {label:<40} {seconds:7.1f} s  {count / seconds:9,.0f} rows/s  {answer}")
    verdict = "OK" if first < TARGET_SECONDS else "TOO SLOW"
    print(f"target: {count:,} rows in < {TARGET_SECONDS} s — {verdict}")


if __name__ == "__main__":
    main()

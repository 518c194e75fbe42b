"""CSV files from operators and staff: read whole, every bad row reported, nothing written
unless every row is good."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from valliance.i18n import bilingual


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def render(self) -> str:
        return bilingual("第 %(line)s 行：%(message)s", line=self.line, message=self.message)


class ImportRejected(Exception):
    """The file has bad rows (or a bad header); nothing was written."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} bad rows")
        self.errors = errors


@dataclass
class ImportResult:
    """What an import did: rows read, created, updated, skipped."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "skipped": self.skipped}


# --- reading -------------------------------------------------------------------------------


def read_csv(source: str | Path | io.TextIOBase, columns: tuple[str, ...]
             ) -> list[tuple[int, dict[str, str]]]:
    """Read a UTF-8 CSV (a BOM is tolerated) into (line number, row) pairs; blank rows skipped."""
    if isinstance(source, (str, Path)):
        try:
            text = Path(source).read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportRejected([RowError(1, bilingual("文件不是 UTF-8 编码", reason=exc.reason))]
                                 ) from exc
    else:
        text = source.read().removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    wanted = ", ".join(columns)
    if header is None:
        raise ImportRejected([RowError(1, bilingual("空文件", wanted=wanted))])
    header = [cell.strip().lower() for cell in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportRejected([RowError(1, bilingual(
            "表头缺少",
            missing=', '.join(missing),
            wanted=wanted,
        ))])
    index = {c: header.index(c) for c in columns}
    rows = []
    line = reader.line_num
    for cells in reader:
        first_line, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        rows.append((first_line, {c: (cells[i].strip() if i < len(cells) else "")
                                  for c, i in index.items()}))
    return rows

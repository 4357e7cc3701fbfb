"""xlsx readers: openpyxl ``read_only`` against python-calamine, behind the same sheet guard.

Builds the hostile files (one row of 3 million cells in 92 KB; a sheet of a million rows; the
shared-strings bomb, one string of 8 million characters used by 12,000 cells), a
normal 5,000-person roster and the largest sheet a roster upload may hold, then alternates
rounds between the two readers (and the guard alone): the time to refuse each hostile file and
to read the others, both readers reading the same rows. It prints each figure beside its target,
names the faster reader, and exits 1 when a refusal takes 1 s or more, when the readers disagree,
or when the reader shipped in ``backend/services/xlsx_reader.py`` is not the faster one on the
roster. Needs no database.

    .venv/bin/python -m bench.xlsx_readers [--rounds 7] [--skip-unguarded]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import zipfile

from openpyxl import Workbook, load_workbook

from backend.kernel.errors import DomainError
from backend.services import xlsx_reader
from backend.services.roster.parse import sheet_limits
from tests import hostile_xlsx

REFUSAL_TARGET_S = 1.0
SHIPPED = "python-calamine"
HEADER = ["序号", "姓名", "性别", "身份证号码", "手机号码", "平台登录账号"]
SHEET = "xl/worksheets/sheet1.xml"


def roster(people: int) -> bytes:
    """A 附件2-shaped roster of ``people`` rows, as openpyxl writes it."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("名册")
    sheet.append(["企业职工线上适岗技能提升培训人员名册"])
    sheet.append(HEADER)
    for n in range(1, people + 1):
        sheet.append([n, f"学员{n}", "男", f"44011819900101{n:04d}", f"139{n:08d}", f"u{n}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_data(rows_xml: bytes, dimension: bytes = b"A1") -> bytes:
    """A roster whose first sheet's data is replaced by ``rows_xml`` (deflated, as Excel does)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(roster(1))) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == SHEET:
                content = (
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    b'<dimension ref="' + dimension + b'"/><sheetData>' + rows_xml + b"</sheetData>"
                    b"</worksheet>"
                )
            dst.writestr(info.filename, content)
    return out.getvalue()


def huge_row(cells: int = 3_000_000) -> bytes:
    """One row of ``cells`` numeric cells; the dimension claims a single cell."""
    return with_sheet_data(b'<row r="1">' + b"<c><v>1</v></c>" * cells + b"</row>")


def many_rows(rows: int = 1_000_000) -> bytes:
    """``rows`` rows of one cell each; the dimension claims a single cell."""
    return with_sheet_data(b"<row><c><v>1</v></c></row>" * rows)


def largest_accepted(rows: int = 20_000, cells: int = 19) -> bytes:
    """Just inside the roster's sheet limits: the most a roster upload makes the reader do."""
    return with_sheet_data((b"<row>" + b"<c><v>1</v></c>" * cells + b"</row>") * rows)


def read_openpyxl(data: bytes, limits) -> list:
    """The guard, then openpyxl's read-only reader."""
    parts = xlsx_reader.check_first_sheet(data, limits)
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book[parts.name]
        # read_only stops where the dimension tag says the sheet ends; these files' tags lie.
        sheet.reset_dimensions()
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_calamine(data: bytes, limits) -> list:
    """The guard, then python-calamine (what the imports use)."""
    return xlsx_reader.read_first_sheet(data, limits)


def unguarded_openpyxl(data: bytes) -> None:
    """openpyxl alone, as the imports read before the guard: up to the first row."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    next(book.worksheets[0].iter_rows(max_col=30, values_only=True))
    book.close()


def unguarded_calamine(data: bytes) -> None:
    """python-calamine alone: it loads the whole sheet."""
    import python_calamine

    with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        next(book.get_sheet_by_index(0).iter_rows())


def guard_only(data: bytes, limits) -> object:
    """The guard alone: its share of either reader's figure."""
    return xlsx_reader.check_first_sheet(data, limits)


HOSTILE = ("3M cells in one row", "1M rows", "shared-strings bomb")
READERS = {"openpyxl read_only": read_openpyxl, "python-calamine": read_calamine}
MEASURED = READERS | {"sheet guard alone": guard_only}


def timed(fn, *args) -> tuple[float, object]:
    """Seconds taken and what ``fn`` returned or raised."""
    start = time.perf_counter()
    try:
        outcome = fn(*args)
    except DomainError as exc:
        outcome = exc
    return time.perf_counter() - start, outcome


def main() -> int:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (after 1 warm-up)")
    parser.add_argument("--skip-unguarded", action="store_true", help="skip the slow yardstick")
    args = parser.parse_args()
    limits = sheet_limits(10_000)
    files = {
        "3M cells in one row": huge_row(),
        "1M rows": many_rows(),
        "shared-strings bomb": hostile_xlsx.shared_string_bomb(roster(1)),
        "5,000-row roster": roster(5000),
        "20,000 × 19 cells": largest_accepted(),
    }
    for name, data in files.items():
        print(f"{name}: {len(data) / 1024:,.0f} KB")
    times: dict[tuple[str, str], list[float]] = {}
    failures = []
    counts: dict[str, int] = {}  # rows with a value, as the first reader read them
    for round_no in range(args.rounds + 1):
        order = list(MEASURED) if round_no % 2 == 0 else list(MEASURED)[::-1]
        for reader in order:
            for name, data in files.items():
                seconds, outcome = timed(MEASURED[reader], data, limits)
                hostile = name in HOSTILE
                refused = isinstance(outcome, DomainError) and outcome.code == "sheet_too_large"
                if hostile != refused:
                    failures.append(f"{reader} on {name}: {'not refused' if hostile else outcome}")
                if isinstance(outcome, list):
                    read = sum(1 for row in outcome if any(v is not None for v in row))
                    if read != counts.setdefault(name, read):
                        failures.append(f"{reader} read {read} rows of {name}, not {counts[name]}")
                if round_no:  # round 0 warms imports and caches up
                    times.setdefault((reader, name), []).append(seconds)
    print(f"\n{args.rounds} alternating rounds after a warm-up; median (max) seconds\n")
    print("| reader | " + " | ".join(files) + " |")
    print("| --- |" + " ---: |" * len(files))
    for reader in MEASURED:
        cells = [times[(reader, name)] for name in files]
        row = " | ".join(f"{statistics.median(t):.3f} ({max(t):.3f})" for t in cells)
        label = reader if reader not in READERS else f"{reader}, guarded"
        print(f"| {label} | {row} |")
    if not args.skip_unguarded:
        data = files["3M cells in one row"]
        first = [timed(unguarded_openpyxl, data)[0], timed(unguarded_calamine, data)[0]]
        rest = " – |" * (len(files) - 1)
        print(f"| openpyxl read_only, unguarded (1 round) | {first[0]:.3f} |{rest}")
        print(f"| python-calamine, unguarded (1 round) | {first[1]:.3f} |{rest}")
    print(f"\ntarget: every refusal < {REFUSAL_TARGET_S:.1f} s (max over rounds)")
    for reader in READERS:
        for name in HOSTILE:
            worst = max(times[(reader, name)])
            verdict = "met" if worst < REFUSAL_TARGET_S else "MISSED"
            print(f"  {reader}, {name}: {worst:.3f} s {verdict}")
            if worst >= REFUSAL_TARGET_S:
                failures.append(f"{reader} refused {name} in {worst:.3f} s")
    normal = {r: statistics.median(times[(r, "5,000-row roster")]) for r in READERS}
    faster = min(normal, key=normal.get)
    print(f"faster on the roster: {faster} ({normal[faster]:.3f} s against ", end="")
    print(f"{max(normal.values()):.3f} s); shipped: {SHIPPED}")
    if faster != SHIPPED:
        failures.append(f"the shipped reader {SHIPPED} is not the faster one")
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

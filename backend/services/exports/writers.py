"""Tabular exports written row by row in constant memory, as xlsx (XlsxWriter) or CSV."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from typing import IO

import xlsxwriter

from backend.services.exports.cells import Column, Kind, as_text

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
A4 = 9  # XlsxWriter's paper code for A4

Row = Sequence[object]


def new_workbook(path: str) -> xlsxwriter.Workbook:
    """A workbook that flushes each finished row to disk (constant memory)."""
    return xlsxwriter.Workbook(
        path, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )


def print_setup(sheet, *, landscape: bool = False, repeat_rows: tuple[int, int] | None = None):
    """A4, fit to one page wide, centred, optionally repeating header rows on every page."""
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    if repeat_rows:
        sheet.repeat_rows(*repeat_rows)


class CellWriter:
    """Writes typed values into an XlsxWriter sheet with bordered formats."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        base = {"border": 1, "valign": "vcenter", "font_size": 10}
        self.text = workbook.add_format({**base, "num_format": "@", "text_wrap": True})
        self.int = workbook.add_format({**base, "num_format": "0"})
        self.money = workbook.add_format({**base, "num_format": "0.00"})
        self.header = workbook.add_format(
            {**base, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#F2F2F2"}
        )
        self.title = workbook.add_format({"bold": True, "font_size": 16, "align": "center"})
        self.plain = workbook.add_format({"font_size": 10})

    def write(self, sheet, row: int, col: int, value: object, kind: Kind) -> None:
        """Write one value: text cells as strings (never formulas), numbers as numbers."""
        if value is None or value == "":
            sheet.write_blank(row, col, None, self.text if kind is Kind.TEXT else self.int)
        elif kind is Kind.TEXT:
            sheet.write_string(row, col, as_text(value), self.text)
        elif kind is Kind.MONEY:
            sheet.write_number(row, col, value, self.money)  # Decimal is written exactly
        else:
            sheet.write_number(row, col, value, self.int)


def write_table_xlsx(
    path: str,
    *,
    sheet_name: str,
    caption: str | None = None,
    title: str,
    subtitle_lines: Sequence[str],
    columns: Sequence[Column],
    rows: Iterable[Row],
    footer: Callable[[], Row | None] | None = None,
    closing_lines: Sequence[str] = (),
    landscape: bool = False,
) -> int:
    """Write a titled, bordered, printable table; returns the number of data rows."""
    workbook = new_workbook(path)
    cells = CellWriter(workbook)
    sheet = workbook.add_worksheet(sheet_name)
    last_col = len(columns) - 1
    for col, column in enumerate(columns):
        sheet.set_column(col, col, column.width)
    r = 0
    if caption:
        sheet.write_string(r, 0, caption, cells.plain)
        r += 1
    sheet.merge_range(r, 0, r, last_col, title, cells.title)
    sheet.set_row(r, 30)
    r += 1
    for line in subtitle_lines:
        sheet.merge_range(r, 0, r, last_col, as_text(line), cells.plain)
        r += 1
    header_row = r
    for col, column in enumerate(columns):
        sheet.write_string(header_row, col, column.header, cells.header)
    print_setup(sheet, landscape=landscape, repeat_rows=(header_row, header_row))
    count = 0
    for values in rows:
        r += 1
        count += 1
        for col, (value, column) in enumerate(zip(values, columns, strict=True)):
            cells.write(sheet, r, col, value, column.kind)
    last = footer() if footer else None
    if last is not None:
        r += 1
        for col, (value, column) in enumerate(zip(last, columns, strict=True)):
            cells.write(sheet, r, col, value, column.kind)
    for line in closing_lines:
        r += 1
        sheet.merge_range(r, 0, r, last_col, as_text(line), cells.plain)
    workbook.close()
    return count


def write_table_csv(
    stream: IO[str],
    *,
    columns: Sequence[Column],
    rows: Iterable[Row],
    footer: Callable[[], Row | None] | None = None,
) -> int:
    """Write a header line and one line a row, every text value neutralised."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    count = 0
    for values in rows:
        count += 1
        writer.writerow(_csv_values(values, columns))
    last = footer() if footer else None
    if last is not None:
        writer.writerow(_csv_values(last, columns))
    return count


def _csv_values(values: Row, columns: Sequence[Column]) -> list[str]:
    out = []
    for value, column in zip(values, columns, strict=True):
        out.append(as_text(value) if column.kind is Kind.TEXT else ("" if value is None else value))
    return out

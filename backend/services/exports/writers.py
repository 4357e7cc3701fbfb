"""Tabular exports written row by row in constant memory, as xlsx or CSV."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from backend.services.exports import xlsx_stream as xs
from backend.services.exports.cells import (
    FORMULA_TRIGGERS,
    WIDE_UNITS,
    Column,
    Kind,
    as_digits_text,
    as_text,
    header_text,
    lines_for,
    xlsx_text,
)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The charset is added by the response (werkzeug does for every text/* type), not here.
CSV_MIME = "text/csv"
FORMATS = ("xlsx", "csv")
A4 = 9  # XlsxWriter's paper code for A4

Row = Sequence[object]


def print_setup(sheet, *, landscape: bool = False) -> None:
    """A4, fit to one page wide, centred (for XlsxWriter sheets such as 附件1)."""
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.center_horizontally()
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)


_STYLE = {Kind.TEXT: xs.TEXT, Kind.DIGITS: xs.TEXT, Kind.INT: xs.INT, Kind.MONEY: xs.MONEY}
_TEXT_KINDS = (Kind.TEXT, Kind.DIGITS)
# Text that needs neither the quote-prefix style nor XML escaping (nearly all of it) is written
# as it is; one match instead of both checks keeps large tables fast.
_READY_TEXT = re.compile(
    f"(?![{re.escape(''.join(FORMULA_TRIGGERS))}])[^{xs.NEEDS_WORK}]*"
).fullmatch


def _typed(values: Row, columns: Sequence[Column]) -> list[tuple[object, int]]:
    cells = []
    for value, column in zip(values, columns, strict=True):
        if column.kind in _TEXT_KINDS:
            cells.append((None if value is None else xlsx_text(value), xs.TEXT))
        elif isinstance(value, str):
            cells.append((xlsx_text(value), xs.TEXT))
        else:
            cells.append((value, _STYLE[column.kind]))
    return cells


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
    """Write a titled, bordered, printable table in constant memory; returns the data rows."""
    sheet = xs.StreamingSheet(
        path, sheet_name=sheet_name, widths=[c.width for c in columns], landscape=landscape
    )
    last_col = len(columns) - 1
    if caption:
        sheet.add_row([(caption, xs.PLAIN)])
    sheet.merge_row(sheet.add_row([(title, xs.TITLE)], height=30), 0, last_col)
    for line in subtitle_lines:
        sheet.merge_row(sheet.add_row([(xlsx_text(line), xs.PLAIN)]), 0, last_col)
    headers = [header_text(c.header, c.width) for c in columns]
    header_lines = max(lines_for(h, c.width) for h, c in zip(headers, columns, strict=True))
    header = sheet.add_row(
        [(h, xs.HEADER) for h in headers], height=max(30, xs.row_height(header_lines) or 0)
    )
    sheet.repeat_rows(header, header)
    add_plain = sheet.row_template([_STYLE[c.kind] for c in columns])
    text_columns = [n for n, c in enumerate(columns) if c.kind in _TEXT_KINDS]
    # Text no longer than this many characters fits its column on one line, even if all wide.
    # (column, characters that surely fit on one line even if all wide, width): most text is
    # short enough to need no measuring, and ASCII text is one unit a character.
    text_limits = [(n, (columns[n].width - 1) / WIDE_UNITS, columns[n].width) for n in text_columns]
    count = 0
    for values in rows:
        count += 1
        ready = list(values)
        quoted = False
        lines = 1
        for n, surely_fits, width in text_limits:
            value = ready[n]
            if type(value) is str:
                if len(value) > surely_fits and (len(value) >= width or not value.isascii()):
                    # Printed, a wrapped text needs its lines' height, or it runs over the next
                    # rows.
                    lines = max(lines, lines_for(value, width))
                if _READY_TEXT(value):
                    continue
            elif value is None:
                continue
            text = xlsx_text(value)
            quoted = quoted or text.startswith(FORMULA_TRIGGERS)
            ready[n] = xs.text_xml(text)
        # A formula-like text needs the quote-prefix style, which only add_row chooses.
        if lines > 1:
            sheet.add_row(_typed(values, columns), height=xs.row_height(lines))
        elif quoted or not add_plain(ready):
            sheet.add_row(_typed(values, columns))
    last = footer() if footer else None
    if last is not None:
        sheet.add_row(_typed(last, columns))
    width = sum(c.width for c in columns)
    for line in closing_lines:
        text = xlsx_text(line)
        if "\n" in text:  # e.g. the record chain's digest line: label, then the digest
            row = sheet.add_row(
                [(text, xs.PLAIN_WRAP)], height=xs.row_height(lines_for(text, width))
            )
        else:
            row = sheet.add_row([(text, xs.PLAIN)])
        sheet.merge_row(row, 0, last_col)
    sheet.close()
    return count


def write_table_csv(
    stream: IO[str],
    *,
    columns: Sequence[Column],
    rows: Iterable[Row],
    footer: Callable[[], Row | None] | None = None,
    closing_lines: Sequence[str] = (),
    title_lines: Sequence[str] = (),
) -> int:
    """Write the title lines, a header line and one line a row, every text value neutralised."""
    writer = csv.writer(stream, lineterminator="\r\n")
    for line in title_lines:
        writer.writerow([as_text(line)])
    writer.writerow([column.header for column in columns])
    count = 0
    for values in rows:
        count += 1
        writer.writerow(_csv_values(values, columns))
    last = footer() if footer else None
    if last is not None:
        writer.writerow(_csv_values(last, columns))
    for line in closing_lines:
        writer.writerow([as_text(line)])
    return count


def _csv_values(values: Row, columns: Sequence[Column]) -> list[str]:
    out = []
    for value, column in zip(values, columns, strict=True):
        if column.kind is Kind.DIGITS:
            out.append(as_digits_text(value))
        elif column.kind is Kind.TEXT or isinstance(value, str):
            out.append(as_text(value))
        else:
            out.append("" if value is None else value)
    return out


@dataclass
class Table:
    """One tabular export as both writers read it: the xlsx and the CSV come from the same
    columns, rows, heading and closing lines."""

    sheet_name: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Row]
    head_lines: Sequence[str] = ()
    closing_lines: Sequence[str] = ()
    footer: Callable[[], Row | None] | None = None
    caption: str | None = None
    landscape: bool = False
    csv_heading: bool = True  # whether the CSV starts with the caption, title and head lines


def write_xlsx(path: str, table: Table) -> int:
    """The table as a printable xlsx; returns the data rows."""
    return write_table_xlsx(
        path,
        sheet_name=table.sheet_name,
        caption=table.caption,
        title=table.title,
        subtitle_lines=table.head_lines,
        columns=table.columns,
        rows=table.rows,
        footer=table.footer,
        closing_lines=table.closing_lines,
        landscape=table.landscape,
    )


def write_csv(stream: IO[str], table: Table) -> int:
    """The table as CSV; returns the data rows."""
    heading = [*([table.caption] if table.caption else []), table.title, *table.head_lines]
    return write_table_csv(
        stream,
        title_lines=heading if table.csv_heading else (),
        columns=table.columns,
        rows=table.rows,
        footer=table.footer,
        closing_lines=table.closing_lines,
    )

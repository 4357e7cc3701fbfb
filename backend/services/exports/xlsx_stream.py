"""A minimal streaming xlsx writer for large tables: rows go straight into the zip entry.

XlsxWriter's constant_memory mode spends most of an export's time in its per-cell machinery;
tables of plain bordered cells need far less. Rows are rendered as SpreadsheetML with inline
strings (no shared-string table, so memory stays constant) and written to the zip stream in
batches; styles, merged title cells, print titles and A4 fit-to-width setup are fixed parts.
"""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from backend.services.exports.cells import FORMULA_TRIGGERS

# Style ids (cellXfs order in STYLES below).
TEXT, INT, MONEY, HEADER, TITLE, PLAIN = 1, 2, 3, 4, 5, 6
# The same as TEXT and PLAIN with Excel's quote prefix: text that looks like a formula.
TEXT_QUOTED, PLAIN_QUOTED = 7, 8
# A line below the table that may wrap (its row gets the height of its lines).
PLAIN_WRAP = 9
# Points per line of 10 pt text, and a row's height for ``lines`` lines.
LINE_PT = 13.5


def row_height(lines: int) -> float | None:
    """The height of a row of ``lines`` lines of text; None (the default) for one line."""
    return None if lines <= 1 else round(lines * LINE_PT + 2, 1)


_QUOTED = {TEXT: TEXT_QUOTED, PLAIN: PLAIN_QUOTED}
BATCH_ROWS = 500
# XML 1.0 forbids these control characters; tab, LF and CR stay.
ILLEGAL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f"
_ILLEGAL = re.compile(f"[{ILLEGAL_CHARS}]")
# Text without these needs no escaping or cleaning inside <t>.
NEEDS_WORK = "&<>" + ILLEGAL_CHARS
_PLAIN = re.compile(f"[^{NEEDS_WORK}]*")

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006/"
_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="{part}" ContentType="{_MIME}{kind}+xml"/>'


def _relationship(rid: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{_REL}/{kind}" Target="{target}"/>'


CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    + _override("/xl/workbook.xml", "sheet.main")
    + _override("/xl/worksheets/sheet1.xml", "worksheet")
    + _override("/xl/styles.xml", "styles")
    + "</Types>"
)
ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}relationships">'
    + _relationship("rId1", "officeDocument", "xl/workbook.xml")
    + "</Relationships>"
)
WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}relationships">'
    + _relationship("rId1", "worksheet", "worksheets/sheet1.xml")
    + _relationship("rId2", "styles", "styles.xml")
    + "</Relationships>"
)
_FONT = '<font><sz val="{size}"/>{bold}<name val="宋体"/><charset val="134"/></font>'
_BORDER = '<left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/>'  # noqa: E501
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="3">'
    + _FONT.format(size=10, bold="")
    + _FONT.format(size=10, bold="<b/>")
    + _FONT.format(size=16, bold="<b/>")
    + "</fonts>"
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFF2F2F2"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    "<border>" + _BORDER + "</border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="10">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1"'
    ' applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1"'
    ' applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1"'
    ' applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1"'
    ' applyBorder="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"'
    ' applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1"'
    ' applyBorder="1" applyAlignment="1" quotePrefix="1">'
    '<alignment vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def text_xml(value: str) -> str:
    """Text as it goes inside <t>: illegal control characters dropped, markup escaped."""
    if _PLAIN.fullmatch(value):
        return value
    return escape(_ILLEGAL.sub("", value))


def _text_cell(ref: str, value: str, style: int) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{text_xml(value)}</t></is></c>'  # noqa: E501


class StreamingSheet:
    """One worksheet written top to bottom into an xlsx file."""

    def __init__(
        self,
        path: str,
        *,
        sheet_name: str,
        widths: list[int],
        landscape: bool = False,
    ) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheet_name = sheet_name
        self._letters = [column_letter(i) for i in range(len(widths))]
        self._merges: list[str] = []
        self._print_rows: tuple[int, int] | None = None
        self._landscape = landscape
        self._row = 0
        self._buffer: list[str] = []
        self._stream = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(widths)
        )
        self._write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"<cols>{cols}</cols><sheetData>"
        )

    @property
    def row(self) -> int:
        """The number of rows written so far (the last row's 1-based number)."""
        return self._row

    def _write(self, text: str) -> None:
        self._stream.write(text.encode("utf-8"))

    def add_row(self, cells: list[tuple[object, int]], height: float | None = None) -> int:
        """Append a row of (value, style) pairs; returns its 1-based row number."""
        self._row += 1
        r = self._row
        parts = [f'<row r="{r}" ht="{height}" customHeight="1">' if height else f'<row r="{r}">']
        for letter, (value, style) in zip(self._letters, cells, strict=False):
            ref = f"{letter}{r}"
            if value is None or value == "":
                parts.append(f'<c r="{ref}" s="{style}"/>')
            elif style == TEXT or isinstance(value, str):
                text = str(value)
                if text.startswith(FORMULA_TRIGGERS):
                    style = _QUOTED.get(style, TEXT_QUOTED)
                parts.append(_text_cell(ref, text, style))
            elif isinstance(value, Decimal):
                parts.append(f'<c r="{ref}" s="{style}"><v>{value:f}</v></c>')
            else:
                parts.append(f'<c r="{ref}" s="{style}"><v>{int(value)}</v></c>')
        parts.append("</row>")
        self._buffer.append("".join(parts))
        if len(self._buffer) >= BATCH_ROWS:
            self._flush()
        return r

    def row_template(self, styles: list[int]):
        """A renderer for data rows whose every cell has a value of its column's style.

        Large tables spend their time per cell; one format call per row renders it instead.
        Returns ``add(values) -> bool``: text values must already be ``text_xml``-ready, ints for
        INT and Decimals for MONEY; a row that does not fit (None, "", another type) is refused
        with False and should go through ``add_row``.
        """
        cells = []
        for n, (letter, style) in enumerate(zip(self._letters, styles, strict=True), start=1):
            if style == TEXT:
                value = f'<c r="{letter}{{0}}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{{{n}}}</t></is></c>'  # noqa: E501
            else:
                spec = "f" if style == MONEY else "d"
                value = f'<c r="{letter}{{0}}" s="{style}"><v>{{{n}:{spec}}}</v></c>'
            cells.append(value)
        render = ('<row r="{0}">' + "".join(cells) + "</row>").format

        def add(values) -> bool:
            if None in values or "" in values:
                return False
            try:
                xml = render(self._row + 1, *values)
            except (TypeError, ValueError):
                return False
            self._row += 1
            self._buffer.append(xml)
            if len(self._buffer) >= BATCH_ROWS:
                self._flush()
            return True

        return add

    def merge_row(self, row: int, first_col: int, last_col: int) -> None:
        """Merge cells of one row across columns."""
        self._merges.append(f"{self._letters[first_col]}{row}:{self._letters[last_col]}{row}")

    def repeat_rows(self, first: int, last: int) -> None:
        """Print these rows at the top of every page."""
        self._print_rows = (first, last)

    def _flush(self) -> None:
        if self._buffer:
            self._write("".join(self._buffer))
            self._buffer.clear()

    def close(self) -> None:
        """Finish the sheet and write the workbook parts."""
        self._flush()
        merges = "".join(f'<mergeCell ref="{m}"/>' for m in self._merges)
        orientation = "landscape" if self._landscape else "portrait"
        self._write(
            "</sheetData>"
            + (f'<mergeCells count="{len(self._merges)}">{merges}</mergeCells>' if merges else "")
            + '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
            f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
            "</worksheet>"
        )
        self._stream.close()
        name = quoteattr(self._sheet_name)
        defined = ""
        if self._print_rows:
            first, last = self._print_rows
            quoted = self._sheet_name.replace("'", "''")
            defined = (
                '<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">'
                f"{escape(repr_sheet(quoted))}!${first}:${last}</definedName></definedNames>"
            )
        workbook = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>{defined}</workbook>'
        )
        self._zip.writestr("[Content_Types].xml", CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", ROOT_RELS)
        self._zip.writestr("xl/workbook.xml", workbook)
        self._zip.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", STYLES)
        self._zip.close()


def repr_sheet(quoted_name: str) -> str:
    """A sheet name as used in a formula reference."""
    return f"'{quoted_name}'"

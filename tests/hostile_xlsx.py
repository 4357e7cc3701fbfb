"""Damaged and oversized xlsx files for the import tests, made by rewriting a real workbook."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
BANK_HEADER = ["题型", "题干", "A", "B", "C", "D", "E", "F", "答案", "解析", "难度"]


def bank_bytes(rows: list[list]) -> bytes:
    """A question-bank file in the import template's layout."""
    book = Workbook()
    book.active.append(BANK_HEADER)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_sheet(data: bytes, change, part: str = SHEET) -> bytes:
    """The same workbook with one part's XML passed through ``change`` (deflated, as Excel)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == part:
                content = change(content)
            dst.writestr(info.filename, content)
    return out.getvalue()


def sheet_data(data: bytes, rows_xml: bytes, dimension: bytes = b"A1") -> bytes:
    """The workbook with its first sheet's rows replaced by ``rows_xml``; the dimension tag
    claims ``dimension`` (it may lie)."""

    def change(_xml: bytes) -> bytes:
        return (
            b'<worksheet xmlns="' + MAIN_NS + b'"><dimension ref="' + dimension + b'"/>'
            b"<sheetData>" + rows_xml + b"</sheetData></worksheet>"
        )

    return rewrite_sheet(data, change)


def huge_row(data: bytes, cells: int = 3_000_000, cell: bytes = b"<c><v>1</v></c>") -> bytes:
    """One row of ``cells`` cells (92 KB at 3 million numbers), the dimension claiming A1."""
    return sheet_data(data, b'<row r="1">' + cell * cells + b"</row>")


def many_rows(data: bytes, rows: int = 200_000) -> bytes:
    """``rows`` rows of one cell each, with no row numbers and the dimension claiming A1."""
    return sheet_data(data, b"<row><c><v>1</v></c></row>" * rows)


def truncated(xml: bytes) -> bytes:
    """The first half of the XML."""
    return xml[: len(xml) // 2]


def nul_reference(xml: bytes) -> bytes:
    """A character reference to NUL, which XML forbids."""
    return xml.replace(b"<v>", b"<v>&#0;", 1).replace(b"<t>", b"<t>&#0;", 1)


def dtd_entity(xml: bytes) -> bytes:
    """An internal DTD declaring an entity that a cell then uses."""
    dtd = b'<!DOCTYPE worksheet [<!ENTITY boom "' + b"x" * 64 + b'">]>'
    if xml.startswith(b"<?xml"):
        head, _, rest = xml.partition(b"?>")
        xml, prefix = rest, head + b"?>"
    else:
        prefix = b""
    return prefix + dtd + xml.replace(b"<t>", b"<t>&boom;", 1).replace(b"<v>", b"<v>&boom;", 1)


DAMAGES = {"truncated": truncated, "nul_reference": nul_reference, "dtd_entity": dtd_entity}


SHARED_STRINGS = "xl/sharedStrings.xml"
_RELS = "xl/_rels/workbook.xml.rels"
_TYPES = "[Content_Types].xml"
_SST_REL = (
    b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'sharedStrings" Target="/xl/sharedStrings.xml" Id="rIdBomb"/>'
)
_SST_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def with_shared_strings(data: bytes, strings: list[bytes], rows_xml: bytes) -> bytes:
    """The workbook with a shared-string table of ``strings`` and its first sheet's rows
    replaced by ``rows_xml`` (whose ``t="s"`` cells name the strings by index)."""
    table = b'<sst xmlns="' + MAIN_NS + b'">'
    table += b"".join(b"<si><t>" + text + b"</t></si>" for text in strings) + b"</sst>"
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(sheet_data(data, rows_xml))) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst,
    ):
        for name in src.namelist():
            content = src.read(name)
            if name == _RELS:
                content = content.replace(b"</Relationships>", _SST_REL + b"</Relationships>")
            elif name == _TYPES:
                content = content.replace(b"</Types>", _SST_TYPE + b"</Types>")
            if name != SHARED_STRINGS:
                dst.writestr(name, content)
        dst.writestr(SHARED_STRINGS, table)
    return out.getvalue()


def shared_string_rows(cells: int, columns: int = 6, index: int = 0) -> bytes:
    """``cells`` cells, ``columns`` to a row, each using shared string ``index``."""
    row = b'<c t="s"><v>%d</v></c>' % index * columns
    return b"".join(b'<row r="%d">' % n + row + b"</row>" for n in range(1, cells // columns + 1))


def shared_string_bomb(data: bytes, characters: int = 8_000_000, cells: int = 12_000) -> bytes:
    """The shared-strings bomb (26 KB): one shared string of ``characters`` characters that
    ``cells`` cells all use, so the sheet reads as characters x cells (96 billion)."""
    return with_shared_strings(data, [b"x" * characters], shared_string_rows(cells))

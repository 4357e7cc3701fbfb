"""The shared xlsx reader: values from A1, the first worksheet, and the limits checked while
the sheet streams (whatever its dimension tag claims)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import pytest
import xlsxwriter
from openpyxl import Workbook

from backend.kernel.errors import DomainError
from backend.services import xlsx_reader
from tests import hostile_xlsx

LIMITS = xlsx_reader.SheetLimits(rows=100, cells=1000, unpacked_bytes=10**7, what="测试文件")


def _openpyxl_book(build) -> bytes:
    book = Workbook()
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _shared_strings_book(rows: list[list]) -> bytes:
    """xlsxwriter keeps text in the shared-string table (openpyxl writes it inline)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet("题库")
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return out.getvalue()


def _refusal(data: bytes, limits=LIMITS) -> DomainError:
    with pytest.raises(DomainError) as refused:
        xlsx_reader.read_first_sheet(data, limits)
    return refused.value


def test_values_start_at_a1_with_none_for_empty_cells():
    def build(book):
        sheet = book.active
        sheet["B2"] = "姓名"
        sheet["D2"] = 13900090001
        sheet["A3"] = 2.5
        sheet["B3"] = True
        sheet["C3"] = datetime(2026, 3, 1, 8, 30)

    rows = xlsx_reader.read_first_sheet(_openpyxl_book(build), LIMITS)
    assert rows[0] == [None, None, None, None]
    assert rows[1] == [None, "姓名", None, 13900090001]
    assert type(rows[1][3]) is int
    assert rows[2] == [2.5, True, datetime(2026, 3, 1, 8, 30), None]


def test_the_first_worksheet_in_workbook_order_is_read():
    def build(book):
        book.active.title = "名册"
        book.active["A1"] = "first"
        book.create_sheet("其他")["A1"] = "second"
        book.move_sheet("其他", offset=-1)  # now first in the workbook

    assert xlsx_reader.read_first_sheet(_openpyxl_book(build), LIMITS) == [["second"]]


def test_shared_strings_are_read_and_bounded():
    data = _shared_strings_book([["题型", "题干"], ["单选题", "安全帽的作用是？"]])
    assert xlsx_reader.read_first_sheet(data, LIMITS)[1] == ["单选题", "安全帽的作用是？"]

    def many_strings(xml: bytes) -> bytes:
        head, _, rest = xml.partition(b"<si>")
        return head + b"<si><t>x</t></si>" * 1001 + b"<si>" + rest

    refused = _refusal(hostile_xlsx.rewrite_sheet(data, many_strings, "xl/sharedStrings.xml"))
    assert refused.code == "sheet_too_large" and "1000 个单元格" in refused.message


@pytest.mark.parametrize("damage", list(hostile_xlsx.DAMAGES))
def test_damaged_shared_strings_are_unreadable(damage):
    data = _shared_strings_book([["题型", "题干"]])
    damaged = hostile_xlsx.rewrite_sheet(data, hostile_xlsx.DAMAGES[damage], "xl/sharedStrings.xml")
    with pytest.raises(xlsx_reader.Unreadable):
        xlsx_reader.read_first_sheet(damaged, LIMITS)


BASE = _openpyxl_book(lambda book: book.active.append(["x"]))


@pytest.mark.parametrize(
    ("rows_xml", "dimension", "words"),
    [
        # The dimension claims more than the limits allow.
        (b'<row r="1"><c r="A1"><v>1</v></c></row>', b"A1:F101", "超过 100 行"),
        (b'<row r="1"><c r="A1"><v>1</v></c></row>', b"A1:IW1", "超过 256 列"),
        # The dimension claims one cell; the content says otherwise.
        (b'<row r="101"><c r="A101"><v>1</v></c></row>', b"A1", "超过 100 行"),
        (b'<row r="1"><c r="IW1"><v>1</v></c></row>', b"A1", "超过 256 列"),
        (b'<row r="1">' + b'<c r="A1"><v>1</v></c>' * 257 + b"</row>", b"A1", "第 1 行超过 256 列"),
        (b'<row r="1"><c r="A1"/></row>' * 101, b"A1", "超过 100 行"),
        ((b"<row>" + b"<c><v>1</v></c>" * 11 + b"</row>") * 100, b"A1", "1000 个单元格"),
        # One stray cell far away: the reader would fill the whole rectangle from A1.
        (b'<row r="1"><c r="A1"/></row><row r="99"><c r="Z99"/></row>', b"A1", "1000 个单元格"),
    ],
)
def test_limits_hold_whatever_the_dimension_claims(rows_xml, dimension, words):
    refused = _refusal(hostile_xlsx.sheet_data(BASE, rows_xml, dimension))
    assert refused.code == "sheet_too_large" and words in refused.message


def test_a_sheet_within_the_limits_is_read():
    rows_xml = b"".join(b"<row>" + b"<c><v>1</v></c>" * 10 + b"</row>" for _ in range(100))
    rows = xlsx_reader.read_first_sheet(hostile_xlsx.sheet_data(BASE, rows_xml), LIMITS)
    assert len(rows) == 100 and rows[99] == [1] * 10


def test_an_unpacked_size_over_the_limit_is_too_large():
    limits = xlsx_reader.SheetLimits(rows=100, cells=1000, unpacked_bytes=1000, what="测试文件")
    refused = _refusal(BASE, limits)
    assert (
        refused.code == "file_too_large"
        and refused.message == "文件解压后过大，请检查是否为测试文件"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 not a zip",
        hostile_xlsx.rewrite_sheet(BASE, lambda xml: b"<Relationships/>", "_rels/.rels"),
        hostile_xlsx.sheet_data(BASE, b'<row r="1"><c r="1A"/></row>'),
        hostile_xlsx.sheet_data(BASE, b'<row r="1"><c r="ABCD1"/></row>'),
        # python-calamine alone reads past text after the root element; expat does not.
        hostile_xlsx.rewrite_sheet(BASE, lambda xml: xml + b"<junk/>"),
    ],
    ids=["not_a_zip", "no_workbook_relationship", "bad_reference", "past_xfd", "trailing_junk"],
)
def test_unreadable_files(data):
    with pytest.raises(xlsx_reader.Unreadable):
        xlsx_reader.read_first_sheet(data, LIMITS)


def test_a_zip_without_a_workbook_part_is_unreadable():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
    with pytest.raises(xlsx_reader.Unreadable):
        xlsx_reader.read_first_sheet(out.getvalue(), LIMITS)


INDEX_PARTS = ["xl/workbook.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels"]
OTHER_PARTS = ["xl/styles.xml", "[Content_Types].xml", "xl/theme/theme1.xml", "docProps/core.xml"]


@pytest.mark.parametrize("part", INDEX_PARTS)
@pytest.mark.parametrize("damage", ["truncated", "dtd_entity"])
def test_damaged_workbook_indexes_are_unreadable(part, damage):
    damaged = hostile_xlsx.rewrite_sheet(BASE, hostile_xlsx.DAMAGES[damage], part)
    with pytest.raises(xlsx_reader.Unreadable):
        xlsx_reader.read_first_sheet(damaged, LIMITS)


@pytest.mark.parametrize("part", OTHER_PARTS)
@pytest.mark.parametrize("damage", list(hostile_xlsx.DAMAGES))
def test_damage_elsewhere_gives_the_values_or_unreadable(part, damage):
    # Parts that hold no cell values: python-calamine may read past them or refuse the file;
    # either way the import answers, never a server error.
    damaged = hostile_xlsx.rewrite_sheet(BASE, hostile_xlsx.DAMAGES[damage], part)
    try:
        rows = xlsx_reader.read_first_sheet(damaged, LIMITS)
    except xlsx_reader.Unreadable:
        return
    assert rows == [["x"]]

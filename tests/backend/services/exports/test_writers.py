"""The shared export helpers: formula neutralising, exact money, text cells, CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import load_workbook

from backend.services.exports import xlsx_stream as xs
from backend.services.exports.cells import Column, Kind, as_text, neutralise, yuan
from backend.services.exports.writers import _READY_TEXT, write_table_csv, write_table_xlsx

COLUMNS = (
    Column("姓名", Kind.TEXT),
    Column("身份证号码", Kind.TEXT),
    Column("分钟", Kind.INT),
    Column("金额", Kind.MONEY),
)
ROWS = [
    ['=HYPERLINK("http://x","y")', "440106199001011234", 45, yuan(3000)],
    ["+1", "@SUM(A1)", 0, yuan(1)],
    ["-2", "\tcmd", 7, yuan(100000)],
    ["\rx", "正常", 3, None],
]


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_trigger_is_neutralised(trigger):
    assert neutralise(trigger + "1+1") == "'" + trigger + "1+1"


def test_plain_text_is_left_alone():
    assert neutralise("张三") == "张三" and neutralise("a=b") == "a=b"


def test_yuan_is_exact():
    assert yuan(3000) == Decimal("30.00") and str(yuan(3000)) == "30.00"
    assert yuan(1) == Decimal("0.01") and yuan(100000) == Decimal("1000.00")
    assert str(yuan(10)) == "0.10"


def test_xlsx_text_cells_money_and_neutralised_formulas(tmp_path):
    path = str(tmp_path / "t.xlsx")
    count = write_table_xlsx(
        path,
        sheet_name="表",
        title="标题",
        subtitle_lines=["=cmd|' /C calc'!A0"],
        columns=COLUMNS,
        rows=iter(ROWS),
        footer=lambda: ["合计", None, 55, yuan(103001)],
    )
    assert count == 4
    sheet = load_workbook(path).active
    assert sheet["A1"].value == "标题" and "A1:D1" in {str(r) for r in sheet.merged_cells}
    # Formula-like text stays as written, in a string cell with the quote-prefix style (no
    # visible apostrophe; still text when edited in Excel): subtitles too.
    assert sheet["A2"].value == "=cmd|' /C calc'!A0" and sheet["A2"].quotePrefix
    assert [c.value for c in sheet[3]] == ["姓名", "身份证号码", "分钟", "金额"]
    first = sheet[4]
    assert first[0].value == '=HYPERLINK("http://x","y")' and first[0].data_type == "s"
    assert first[0].quotePrefix and not first[1].quotePrefix
    assert first[1].value == "440106199001011234" and first[1].data_type == "s"
    assert first[1].number_format == "@"
    assert first[2].value == 45
    assert Decimal(str(first[3].value)) == Decimal("30.00") and first[3].number_format == "0.00"
    assert [sheet[5][0].value, sheet[5][1].value] == ["+1", "@SUM(A1)"]
    assert [sheet[6][0].value, sheet[6][1].value] == ["-2", "\tcmd"]
    assert all(sheet[r][c].quotePrefix for r in (5, 6, 7) for c in (0,))
    assert sheet[7][3].value is None
    assert [c.value for c in sheet[8]][:3] == ["合计", None, 55]
    assert Decimal(str(sheet[8][3].value)) == Decimal("1030.01")
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert sheet.page_setup.paperSize == 9 and sheet.sheet_properties.pageSetUpPr.fitToPage
    # Fit to one page wide (1 is the file format's default, so it may be left out), any height.
    assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
    assert first[0].border.left.style == "thin"


def test_csv_neutralised_and_exact(tmp_path):
    out = io.StringIO()
    write_table_csv(out, columns=COLUMNS, rows=ROWS, footer=lambda: ["合计", "", 55, yuan(5)])
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines[0] == ["姓名", "身份证号码", "分钟", "金额"]
    assert lines[1] == ['\'=HYPERLINK("http://x","y")', "440106199001011234", "45", "30.00"]
    assert lines[2][:2] == ["'+1", "'@SUM(A1)"] and lines[3][:2] == ["'-2", "'\tcmd"]
    assert lines[-1] == ["合计", "", "55", "0.05"]


@given(st.text(max_size=40))
@example("=1+1")
@example("a&b<c>")
@example("x\x01y")
@example("\rx")
def test_text_taken_as_it_is_needs_no_neutralising_or_escaping(text):
    """The writer's short cut for ordinary text must write exactly what the full path writes."""
    if _READY_TEXT(text):
        assert xs.text_xml(as_text(text)) == text


def test_rows_that_do_not_fit_the_template_are_written_cell_by_cell(tmp_path):
    path = str(tmp_path / "t.xlsx")
    rows = [
        ["张三 & 李四 <组>", "a\x01b", 1, yuan(5)],  # escaped and cleaned through the short cut
        ["", "空", 2, yuan(0)],  # an empty text cell
        ["王五", "x", "1 人", yuan(7)],  # text in a number column
        ["赵六", "y", 3, None],  # no amount
    ]
    write_table_xlsx(
        path, sheet_name="表", title="标题", subtitle_lines=[], columns=COLUMNS, rows=rows
    )
    sheet = load_workbook(path).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert values[0][:3] == ["张三 & 李四 <组>", "ab", 1] and values[0][3] == 0.05
    assert values[1][:3] == [None, "空", 2] and values[1][3] == 0
    assert values[2][:3] == ["王五", "x", "1 人"] and sheet["C5"].data_type == "s"
    assert values[3] == ["赵六", "y", 3, None]
    assert [row[0].border.left.style for row in sheet.iter_rows(min_row=3)] == ["thin"] * 4

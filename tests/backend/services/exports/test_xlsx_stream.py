"""The streaming xlsx writer: valid files, print titles, control characters, many rows."""

from __future__ import annotations

import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from backend.services.exports import xlsx_stream as xs


def test_column_letters():
    assert [xs.column_letter(i) for i in (0, 25, 26, 27, 701)] == ["A", "Z", "AA", "AB", "ZZ"]


def test_rows_styles_merges_and_print_setup(tmp_path):
    path = str(tmp_path / "s.xlsx")
    sheet = xs.StreamingSheet(path, sheet_name="O'Brien 表", widths=[10, 20, 12], landscape=True)
    sheet.merge_row(sheet.add_row([("标题", xs.TITLE)], height=30), 0, 2)
    header = sheet.add_row([("a", xs.HEADER), ("b", xs.HEADER), ("c", xs.HEADER)])
    sheet.repeat_rows(header, header)
    for n in range(1200):  # more than one batch
        sheet.add_row([(f"x\x01<&>{n}", xs.TEXT), (n, xs.INT), (Decimal("0.10") * n, xs.MONEY)])
    sheet.close()
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
    book = load_workbook(path)
    ws = book.active
    assert ws.title == "O'Brien 表"
    assert "A1:C1" in {str(r) for r in ws.merged_cells}
    assert ws["A3"].value == "x<&>0" and ws["A3"].data_type == "s"  # \x01 is not legal XML
    assert ws["B1202"].value == 1199 and Decimal(str(ws["C1202"].value)) == Decimal("119.90")
    assert ws["C1202"].number_format == "0.00" and ws["A3"].number_format == "@"
    assert ws["A2"].font.b and ws["A2"].fill.fgColor.rgb == "FFF2F2F2"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_options.horizontalCentered
    assert ws.column_dimensions["B"].width == 20

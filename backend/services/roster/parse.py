"""Read an uploaded 附件2 roster (xlsx or csv) into raw rows keyed by the official columns."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from backend.kernel.errors import DomainError
from backend.services import xlsx_reader

# The official column order of 附件2 and the keys used for them in code.
COLUMNS = (
    ("序号", "seq"),
    ("姓名", "name"),
    ("性别", "gender"),
    ("身份证号码", "id_number"),
    ("手机号码", "mobile"),
    ("平台登录账号", "account"),
)
HEADER_TO_KEY = dict(COLUMNS)
KEY_TO_HEADER = {key: header for header, key in COLUMNS}
# The official form puts a title, the enterprise line and the date above the header row.
HEADER_SEARCH_ROWS = 10
MAX_COLUMNS = 30
# A small upload can unpack to gigabytes (a zip bomb); a real roster never comes near this.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
# Sheet size read at all, over the data-row limit: formatted blank lines below the last person
# count as rows; 20 columns a row on average leave room for remarks beside the form's six.
SHEET_ROWS_PER_LIMIT = 2
SHEET_COLUMNS_BUDGET = 20


@dataclass
class RawRow:
    """One data row as read: the sheet's row number and the cells by column key."""

    number: int
    cells: dict[str, object]


@dataclass
class ParsedSheet:
    """The data rows, or the file-level problems that stop us from reading them."""

    rows: list[RawRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    header_row: int | None = None


def read_roster(filename: str, data: bytes, *, max_rows: int) -> ParsedSheet:
    """Parse an xlsx or csv roster; a file that is neither raises a 400 domain error."""
    kind = _kind_of(filename, data)
    if not data.strip():
        return ParsedSheet(problems=["文件是空的，请使用附件2学员名册模板填写后上传"])
    lines = _xlsx_lines(data, max_rows) if kind == "xlsx" else _csv_lines(data, max_rows)
    return _to_rows(lines, max_rows)


def _kind_of(filename: str, data: bytes) -> str:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        if data and not data.startswith(b"PK\x03\x04"):
            raise _not_spreadsheet()
        return "xlsx"
    if name.endswith(".csv"):
        if b"\x00" in data[:4096]:  # a binary file renamed to .csv
            raise _not_spreadsheet()
        return "csv"
    if name.endswith(".xls"):
        raise DomainError("unsupported_file")
    raise _not_spreadsheet()


def _not_spreadsheet() -> DomainError:
    return DomainError("unsupported_file", "只能上传 Excel（.xlsx）或 CSV（.csv）格式的学员名册")


def sheet_limits(max_rows: int) -> xlsx_reader.SheetLimits:
    """How much of an xlsx roster is read at all, for a data-row limit of ``max_rows``."""
    rows = SHEET_ROWS_PER_LIMIT * max_rows + HEADER_SEARCH_ROWS
    return xlsx_reader.SheetLimits(
        rows=rows,
        cells=rows * SHEET_COLUMNS_BUDGET,
        unpacked_bytes=MAX_UNPACKED_BYTES,
        what="学员名册",
    )


def _xlsx_lines(data: bytes, max_rows: int):
    try:
        rows = xlsx_reader.read_first_sheet(data, sheet_limits(max_rows))
    except xlsx_reader.Unreadable:
        raise DomainError(
            "unreadable_file", "Excel 文件已损坏或无法读取，请重新保存后上传"
        ) from None
    for number, values in enumerate(rows, start=1):
        if number > max_rows + HEADER_SEARCH_ROWS + 1:
            yield number, None  # marks "too many rows"
            return
        yield number, values[:MAX_COLUMNS]


def _csv_lines(data: bytes, max_rows: int):
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, values in enumerate(reader, start=1):
            if number > max_rows + HEADER_SEARCH_ROWS + 1:
                yield number, None
                return
            yield number, list(values)
    except csv.Error:
        raise DomainError("unreadable_file", "CSV 文件格式不正确，无法读取") from None


def _decode(data: bytes) -> str:
    # Excel on Chinese Windows saves CSV as GB18030/GBK; everything else is UTF-8 (maybe with BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError("unreadable_file", "CSV 文件编码无法识别，请保存为 UTF-8 编码后上传")


def _header_key(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    compact = "".join(value.split())
    return HEADER_TO_KEY.get(compact)


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_rows(lines, max_rows: int) -> ParsedSheet:
    parsed = ParsedSheet()
    positions: dict[str, int] = {}
    for number, values in lines:
        if values is None:
            parsed.problems.append(f"文件超过 {max_rows} 行，请分批导入")
            return parsed
        if parsed.header_row is None:
            found = {_header_key(v): i for i, v in enumerate(values) if _header_key(v)}
            if "name" in found and "id_number" in found:
                parsed.header_row, positions = number, found
                missing = [header for header, key in COLUMNS if key not in found]
                if missing:
                    parsed.problems.append("缺少列：" + "、".join(missing))
                    return parsed
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        cells = {key: (values[i] if i < len(values) else None) for key, i in positions.items()}
        # The form ends with "(此名册可顺延)" and spare numbered lines: skip rows with no person.
        if all(_is_blank(cells[key]) for key in ("name", "id_number", "mobile", "account")):
            continue
        parsed.rows.append(RawRow(number, cells))
        if len(parsed.rows) > max_rows:
            parsed.problems.append(f"文件超过 {max_rows} 行，请分批导入")
            return parsed
    if parsed.header_row is None:
        parsed.problems.append(
            "找不到表头行：第一张工作表前 10 行内应有“序号、姓名、性别、身份证号码、手机号码、"
            "平台登录账号”"
        )
    elif not parsed.rows and not parsed.problems:
        parsed.problems.append("文件中没有学员数据")
    return parsed

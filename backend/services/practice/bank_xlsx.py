"""Question-bank xlsx import and export (题库导入模板): one row a question, options in A–F."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.kernel.errors import DomainError
from backend.models import AdminUser, Course, Question
from backend.services import xlsx_reader
from backend.services.plain_text import xlsx_safe
from backend.services.practice import question_bank
from backend.services.practice.question_bank import KIND_NAMES, LETTERS, QuestionInvalid

HEADERS = ["题型", "题干", "A", "B", "C", "D", "E", "F", "答案", "解析", "难度"]
SHEET_TITLE = "题库"
# Below the app-wide 1 MiB request limit, so an oversize bank gets this clearer message.
MAX_FILE_BYTES = 900 * 1024
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_ROWS = 2000
# The sheet read at all: twice the question limit in rows (formatted blank lines count), and
# on average 20 cells a row (the template has 11 columns).
SHEET_LIMITS = xlsx_reader.SheetLimits(
    rows=2 * MAX_ROWS + 1,
    cells=(2 * MAX_ROWS + 1) * 20,
    unpacked_bytes=MAX_UNPACKED_BYTES,
    what="题库文件",
)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Spreadsheet column letters of each field, for row-level error messages.
_FIELD_COLUMNS = {"kind": "A", "stem": "B", "options": "C–H", "answer": "I"}
_FIELD_COLUMNS |= {"explanation": "J", "difficulty": "K"}


@dataclass
class RowError:
    """Why one row of an import was refused."""

    row: int
    column: str
    message: str


def export_bank(questions: list[Question]) -> bytes:
    """The bank as an xlsx file in the import layout (an empty bank gives the blank template)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for question in questions:
        options = list(question.options) + [""] * (len(LETTERS) - len(question.options))
        row = [KIND_NAMES[question.kind], question.stem, *options, question.answer]
        row += [question.explanation, question.difficulty]
        # Text stored before control characters were refused must not stop the export.
        row = [xlsx_safe(value) if isinstance(value, str) else value for value in row]
        sheet.append([value if value != "" else None for value in row])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            # Text such as "=1+1" must stay text: openpyxl would otherwise write a formula.
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["J"].width = 40
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse_bank(content: bytes) -> list[question_bank.QuestionData]:
    """Read an uploaded bank; any bad row refuses the whole file with every row's error."""
    if len(content) > MAX_FILE_BYTES:
        raise DomainError("file_too_large", f"文件不能超过{MAX_FILE_BYTES // 1024}KB")
    if not content.startswith(b"PK"):
        raise DomainError("not_xlsx")
    try:
        rows = iter(xlsx_reader.read_first_sheet(content, SHEET_LIMITS))
    except xlsx_reader.Unreadable:
        raise DomainError("not_xlsx", "文件无法读取，请使用题库导入模板（.xlsx）") from None
    _check_header(next(rows, None))
    questions, errors = [], []
    for number, values in enumerate(rows, start=2):
        values = values[: len(HEADERS)]
        cells = [_cell_text(v) for v in values] + [""] * (len(HEADERS) - len(values))
        if not any(c.strip() for c in cells):
            continue
        if number > MAX_ROWS + 1:
            raise DomainError("too_many_rows", f"一次最多导入{MAX_ROWS}道题，请分批导入")
        try:
            questions.append(_row_question(cells))
        except QuestionInvalid as exc:
            errors.append(RowError(number, _FIELD_COLUMNS[exc.field], exc.message))
    if errors:
        details = [{"row": e.row, "column": e.column, "message": e.message} for e in errors]
        raise DomainError(
            "import_rows_invalid", f"有{len(errors)}行不正确，未导入任何题目", details=details
        )
    if not questions:
        raise DomainError("import_empty")
    return questions


def _check_header(header) -> None:
    cells = [_cell_text(v).strip() for v in (header or ())]
    if cells[: len(HEADERS)] != HEADERS:
        expected = " | ".join(HEADERS)
        raise DomainError("import_header_invalid", f"第1行表头应为：{expected}")


def _row_question(cells: list[str]) -> question_bank.QuestionData:
    kind = question_bank.parse_kind(cells[0])
    return question_bank.validate_question(
        kind,
        stem=cells[1],
        options=cells[2:8],
        answer=cells[8],
        explanation=cells[9],
        difficulty=cells[10],
    )


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        # Excel turns a typed TRUE/FALSE into a boolean cell.
        return "正确" if value else "错误"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def import_bank(
    course: Course, filename: str, data: bytes, admin: AdminUser, *, client_address: str
) -> int:
    """Add every question of an xlsx bank at the end of the course's bank, or none: every bad
    row is listed in the error's details. Returns how many were added."""
    if not filename.lower().endswith(".xlsx"):
        raise DomainError("not_xlsx")
    rows = parse_bank(data)
    start = question_bank.next_position(course.id)
    for offset, row in enumerate(rows):
        question_bank.insert_question(course.id, row, position=start + offset)
    question_bank.audit_change("question.import", course, admin, client_address, count=len(rows))
    return len(rows)

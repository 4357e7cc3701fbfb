"""Read the first worksheet of an uploaded xlsx, refusing a sheet too big to read before reading.

A small upload can hold millions of cells (a 92 KB file unpacks to one row of 3 million), and
every xlsx library parses a whole row, or the whole sheet, before handing back the first value.
A few cells can also expand to gigabytes of text: a 26 KB file whose one shared string of 8
million characters is used by 12,000 cells reads as 96 billion characters, as each cell gets its
own copy. So the shared strings and then the sheet XML are first streamed through expat,
counting rows, cells and the characters each cell will read as (per cell, and in all), and the
file is refused the moment a limit is crossed; only a sheet within the limits reaches the reader
(python-calamine: ``bench/xlsx_readers.py`` measured it against openpyxl's read-only mode).
"""

from __future__ import annotations

import functools
import io
import posixpath
import zipfile
import zlib
from array import array
from dataclasses import dataclass
from xml.parsers import expat

import python_calamine

from backend.kernel.errors import DomainError, register

register("sheet_too_large", 413, "工作表过大，请删除多余的行和列后重新上传")

# The widest sheet either import accepts (the old .xls limit, column IV); the forms use 6 and 11.
MAX_COLUMNS = 256
# The workbook and relationship parts are a few KB; one of over a megabyte is not a form.
MAX_INDEX_PART_BYTES = 1024 * 1024
_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_WORKSHEET = "/worksheet"
_REL_SHARED_STRINGS = "/sharedStrings"
_DIGITS = "0123456789"
_CHUNK = 64 * 1024
# Excel's own limit on one cell's text; no form field is longer.
MAX_CELL_CHARACTERS = 32_767
# The text a whole sheet may read as (and its shared-string table may hold): a 2,000-question bank
# at 2,000 characters a question; it keeps a worker's memory rise far below 100 MB.
MAX_SHEET_CHARACTERS = 4_000_000


class Unreadable(Exception):
    """The file is not a readable xlsx (damaged zip, malformed or hostile XML, no worksheet)."""


@dataclass(frozen=True)
class SheetLimits:
    """How much of a sheet an import reads; ``what`` names the file in messages (学员名册)."""

    rows: int
    cells: int
    unpacked_bytes: int
    what: str
    columns: int = MAX_COLUMNS
    characters: int = MAX_SHEET_CHARACTERS
    cell_characters: int = MAX_CELL_CHARACTERS


@dataclass(frozen=True)
class SheetParts:
    """Where the first worksheet lives inside the archive."""

    name: str
    sheet_path: str
    shared_strings_path: str | None


def read_first_sheet(data: bytes, limits: SheetLimits) -> list[list[object]]:
    """The first worksheet's rows from A1 (None for an empty cell); raises ``Unreadable``, or
    ``DomainError`` (file_too_large, sheet_too_large) for a file over ``limits``."""
    parts = check_first_sheet(data, limits)
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            rows = workbook.get_sheet_by_name(parts.name).to_python(skip_empty_area=False)
    except (python_calamine.CalamineError, ValueError, TypeError, OverflowError) as exc:
        raise Unreadable(str(exc)) from None
    return [[_plain(value) for value in row] for row in rows]


def check_first_sheet(data: bytes, limits: SheetLimits) -> SheetParts:
    """Locate the first worksheet and stream it (and its shared strings) against ``limits``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > limits.unpacked_bytes:
                raise DomainError("file_too_large", f"文件解压后过大，请检查是否为{limits.what}")
            parts = _locate(archive)
            strings = _StringCounter(limits)
            if parts.shared_strings_path is not None:
                _stream(archive, parts.shared_strings_path, strings)
            _stream(archive, parts.sheet_path, _SheetCounter(limits, strings.lengths))
    except (zipfile.BadZipFile, zlib.error, expat.ExpatError, EOFError, OSError) as exc:
        raise Unreadable(str(exc)) from None
    except (KeyError, ValueError, RuntimeError, NotImplementedError) as exc:
        # A missing part, a bad attribute, an encrypted or unsupported zip entry.
        raise Unreadable(str(exc)) from None
    return parts


def _plain(value: object) -> object:
    # calamine gives "" for an empty cell and a float for every number; openpyxl (and the
    # callers) expect None and an int for a whole number such as a mobile typed as a number.
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _locate(archive: zipfile.ZipFile) -> SheetParts:
    root = _relationships(archive, "_rels/.rels")
    workbook_path = next((t for k, t in root.values() if k.endswith(_REL_OFFICE_DOCUMENT)), None)
    if workbook_path is None:
        raise Unreadable("no workbook part")
    folder, base = posixpath.split(workbook_path)
    related = _relationships(archive, posixpath.join(folder, "_rels", base + ".rels"))
    strings = next((t for k, t in related.values() if k.endswith(_REL_SHARED_STRINGS)), None)
    for name, rid in _sheets(archive, workbook_path):
        kind, target = related.get(rid, ("", ""))
        if kind.endswith(_REL_WORKSHEET):
            return SheetParts(name, target, strings)
    raise Unreadable("no worksheet")


def _relationships(archive: zipfile.ZipFile, path: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, part path) of a .rels part."""
    # Targets are relative to the folder holding the _rels folder, or absolute from the root.
    folder = posixpath.dirname(posixpath.dirname(path))
    found: dict[str, tuple[str, str]] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), posixpath.normpath(path))

    _stream(archive, path, start, max_bytes=MAX_INDEX_PART_BYTES)
    return found


def _sheets(archive, workbook_path: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id" and " " in k), "")
            found.append((attrs.get("name", ""), rid))

    _stream(archive, workbook_path, start, max_bytes=MAX_INDEX_PART_BYTES)
    return found


def _stream(archive, path: str, handler, max_bytes: int | None = None) -> None:
    """Feed one part through expat chunk by chunk. ``handler`` is a start-element function, or
    an object with ``start``, ``end`` and ``text`` methods; any of them may raise to stop early."""
    info = archive.getinfo(path)
    if max_bytes is not None and info.file_size > max_bytes:
        raise Unreadable(f"{path} is too large for its kind")
    parser = expat.ParserCreate(namespace_separator=" ")
    if callable(handler):
        parser.StartElementHandler = handler
    else:
        parser.buffer_text = True
        parser.buffer_size = _CHUNK
        parser.StartElementHandler = handler.start
        parser.EndElementHandler = handler.end
        parser.CharacterDataHandler = handler.text
    # Excel never writes a DTD; refusing one shuts out entity expansion and external fetches.
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _refuse_dtd(*_args) -> None:
    raise Unreadable("document type declaration")


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


@functools.lru_cache(maxsize=4096)
def _column_number(letters: str) -> int:
    """1 for "A", 28 for "AB"; letters past three (beyond XFD) are no column."""
    if not 0 < len(letters) <= 3 or not letters.isascii() or not letters.isalpha():
        raise Unreadable(f"bad column {letters!r}")
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _reference(ref: str) -> tuple[int | None, int | None]:
    """(row, column) of a cell reference such as "AB12" or "$AB$12"; either part may be absent."""
    plain = ref.replace("$", "")
    letters = plain.rstrip(_DIGITS)
    digits = plain[len(letters) :]
    if not plain or len(digits) > 7:
        raise Unreadable(f"bad cell reference {ref!r}")
    return (int(digits) if digits else None), (_column_number(letters) if letters else None)


def _too_large(message: str) -> DomainError:
    return DomainError("sheet_too_large", message)


def _too_much_text(limits: SheetLimits) -> DomainError:
    return _too_large(
        f"工作表文字过多（超过 {limits.characters} 个字），请删除多余的内容或分批导入"
    )


def _cell_too_long(limits: SheetLimits) -> DomainError:
    return _too_large(f"工作表有单元格超过 {limits.cell_characters} 个字，请检查后重新上传")


class _SheetCounter:
    """Expat handlers that count a worksheet against the limits as it streams: rows, cells, and
    the characters the cells read as (a shared string counts once for every cell using it)."""

    def __init__(self, limits: SheetLimits, string_lengths: array) -> None:
        self.limits = limits
        self.string_lengths = string_lengths
        self.characters = 0  # the text the whole sheet reads as so far
        self.cell_text = 0  # ... and the current cell
        self.shared = False  # the current cell's value is a shared-string index
        self.in_text = False  # inside a <v> or <t> of a cell
        self.index = ""  # the shared-string index being read
        self.in_data = False
        self.rows = 0  # row elements seen
        self.row = 0  # the current row's number
        self.cells = 0  # cell elements seen in the sheet
        self.row_cells = 0  # ... and in the current row
        self.column = 0  # the current cell's column
        self.last_row = 0
        self.last_column = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        """Called for every element: cells first, as nearly every element is one or inside one."""
        if name.endswith(" c") or name == "c":
            if self.in_data:
                self._cell(attrs.get("r"))
                self.shared = attrs.get("t") == "s"
                self.cell_text = 0
            return
        local = _local(name)
        if local in ("v", "t"):
            self.in_text = self.in_data
            self.index = ""
            return
        if local == "row" and self.in_data:
            self._row(attrs.get("r"))
        elif local == "sheetData":
            self.in_data = True
        elif local == "dimension":
            # The declared size is checked first; it may lie, so the content is counted too.
            _, _, end = attrs.get("ref", "A1").partition(":")
            row, column = _reference(end or attrs.get("ref", "A1"))
            self._check_extent(row or 0, column or 0)

    def end(self, name: str) -> None:
        """A shared-string cell's value ends: count the string it names."""
        if not self.in_text or _local(name) not in ("v", "t"):
            return
        self.in_text = False
        if self.shared and _local(name) == "v":
            index = self.index.strip()
            if not index.isdigit() or int(index) >= len(self.string_lengths):
                raise Unreadable(f"bad shared string index {index[:16]!r}")
            self._add_text(self.string_lengths[int(index)])

    def text(self, data: str) -> None:
        """Character data: a cell's own text counts as it comes; a shared index is collected."""
        if not self.in_text:
            return
        if self.shared:
            self.index += data
            if len(self.index) > 16:
                raise Unreadable("bad shared string index")
        else:
            self._add_text(len(data))

    def _add_text(self, length: int) -> None:
        self.cell_text += length
        self.characters += length
        if self.cell_text > self.limits.cell_characters:
            raise _cell_too_long(self.limits)
        if self.characters > self.limits.characters:
            raise _too_much_text(self.limits)

    def _row(self, ref: str | None) -> None:
        self.rows += 1
        self.row = int(ref) if ref and ref.isdigit() else self.row + 1
        self.row_cells = self.column = 0
        if self.rows > self.limits.rows:
            raise self._too_many_rows()
        self._check_extent(self.row, 0)

    def _cell(self, ref: str | None) -> None:
        self.cells += 1
        self.row_cells += 1
        if ref:
            row, column = _reference(ref)
            row = row or self.row
            column = column or self.column + 1
        else:
            row, column = self.row, self.column + 1
        self.column = column
        limits = self.limits
        if self.row_cells > limits.columns:
            raise _too_large(f"工作表第 {row} 行超过 {limits.columns} 列，请删除多余的列")
        if self.cells > limits.cells:
            raise self._too_many_cells()
        # Most cells extend nothing: the extent is checked only when it grows.
        if row > self.last_row or column > self.last_column:
            self._check_extent(row, column)

    def _check_extent(self, row: int, column: int) -> None:
        limits = self.limits
        if row > limits.rows:
            raise self._too_many_rows()
        if column > limits.columns:
            raise _too_large(f"工作表超过 {limits.columns} 列，请删除多余的列后重新上传")
        self.last_row, self.last_column = max(self.last_row, row), max(self.last_column, column)
        # The reader fills the whole rectangle from A1, so its area is what costs.
        if self.last_row * self.last_column > limits.cells:
            raise self._too_many_cells()

    def _too_many_rows(self) -> DomainError:
        return _too_large(
            f"工作表超过 {self.limits.rows} 行（带格式的空行也计入），请删除多余的行或分批导入"
        )

    def _too_many_cells(self) -> DomainError:
        return _too_large(
            f"工作表超过 {self.limits.cells} 个单元格，请删除多余的行和列，或分批导入"
        )


class _StringCounter:
    """Counts the shared-string table (a sheet within its limits cannot use more strings) and
    each string's length, which the sheet's count then charges to every cell using it."""

    def __init__(self, limits: SheetLimits) -> None:
        self.limits = limits
        self.lengths = array("l")
        self.characters = 0  # the whole table: the reader holds it all
        self.in_text = False

    def start(self, name: str, _attrs: dict[str, str]) -> None:
        """A string (<si>) starts a new length; its text runs (<t>) add to it."""
        local = _local(name)
        if local == "si":
            self.lengths.append(0)
            if len(self.lengths) > self.limits.cells:
                raise _too_large(
                    f"工作表超过 {self.limits.cells} 个单元格，请删除多余的行和列，或分批导入"
                )
        elif local == "t":
            self.in_text = bool(self.lengths)

    def end(self, name: str) -> None:
        """A text run ends."""
        if self.in_text and _local(name) == "t":
            self.in_text = False

    def text(self, data: str) -> None:
        """Character data inside a text run."""
        if not self.in_text:
            return
        self.lengths[-1] += len(data)
        self.characters += len(data)
        if self.lengths[-1] > self.limits.cell_characters:
            raise _cell_too_long(self.limits)
        if self.characters > self.limits.characters:
            raise _too_much_text(self.limits)

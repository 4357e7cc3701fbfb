"""Cell values shared by every export: formula neutralising, money in yuan, column kinds."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

# A spreadsheet treats a cell starting with one of these as a formula (tab and CR too, since
# some programs strip them first). In CSV a leading apostrophe makes it plain text again; xlsx
# keeps the text as it is in a string cell with the quote-prefix style (no visible apostrophe,
# and still text when someone edits the cell in Excel).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: str) -> bool:
    """Whether a spreadsheet would read this text as a formula."""
    return value.startswith(FORMULA_TRIGGERS)


def neutralise(value: str) -> str:
    """Make a CSV text value safe against formula injection."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@lru_cache(maxsize=4096)
def yuan(fen: int) -> Decimal:
    """An integer amount in fen as exact yuan with two decimals (never a float)."""
    # Cached: a sheet repeats a few amounts thousands of times, and a Decimal is immutable.
    return Decimal(int(fen)).scaleb(-2)


class Kind(enum.Enum):
    """How a column's values are written."""

    TEXT = "text"  # always a text cell
    # Digits that must stay text (ID numbers, mobiles): in CSV a trailing tab stops Excel and
    # LibreOffice from reading 18 digits as a number and rounding it to 4.40106198811E+17.
    DIGITS = "digits"
    INT = "int"
    MONEY = "money"  # Decimal yuan, two decimals


@dataclass(frozen=True)
class Column:
    """A column of a tabular export."""

    header: str
    kind: Kind = Kind.TEXT
    width: int = 14


def as_text(value: object) -> str:
    """The CSV text written for a value: '' for None, neutralised for strings."""
    if value is None:
        return ""
    return neutralise(str(value))


def as_digits_text(value: object) -> str:
    """The CSV text of a digits column: neutralised, and a tab after it so it stays text."""
    text = as_text(value)
    return text + "\t" if text else text


def xlsx_text(value: object) -> str:
    """The text of an xlsx string cell ('' for None): kept exactly, quoting is the style's."""
    return "" if value is None else str(value)


WIDE_UNITS = 1.7


def text_units(text: str) -> float:
    """About how many column-width units ``text`` takes at the sheets' 10 pt, as LibreOffice
    prints it (a little more, to be safe): a Chinese (wide) character 1.7, anything else 1.
    A printed sheet's widths and row heights come from it."""
    return sum(WIDE_UNITS if ord(ch) >= 0x2E80 else 1 for ch in text)


# Wide characters as ``text_units`` counts them.
_WIDE = re.compile("[\u2e80-\U0010ffff]")


def _whole_units(part: str) -> int:
    """``int(text_units(part))``, without a Python step per character when it can: with fewer
    than ten wide characters 1.7 × wide + narrow is never within rounding of a whole number, so
    the sum's float rounding cannot move its integer part (a large sheet measures every row)."""
    if part.isascii():
        return len(part)
    wide = len(_WIDE.findall(part))
    if wide < 10:
        return len(part) - wide + (17 * wide) // 10
    return int(text_units(part))


def lines_for(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide (its own breaks kept)."""
    usable = int(max(width - 1, 1))
    if "\n" not in text:
        return max(1, -(-_whole_units(text) // usable))
    return sum(max(1, -(-_whole_units(part) // usable)) for part in text.split("\n"))


def header_text(header: str, width: float) -> str:
    """A header too wide for its column breaks before its unit, "补贴（元）" → "补贴\\n（元）",
    never inside the parentheses."""
    if text_units(header) <= width - 1 or "（" not in header or "\n" in header:
        return header
    head, _, unit = header.partition("（")
    return f"{head}\n（{unit}"

"""Cell values shared by every export: formula neutralising, money in yuan, column kinds."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

# A spreadsheet treats a cell starting with one of these as a formula (tab and CR too, since
# some programs strip them first); a leading apostrophe makes it plain text again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Make a text cell safe against formula injection (CSV and xlsx alike)."""
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

    TEXT = "text"  # always a text cell: ID numbers and mobiles keep every digit
    INT = "int"
    MONEY = "money"  # Decimal yuan, two decimals


@dataclass(frozen=True)
class Column:
    """A column of a tabular export."""

    header: str
    kind: Kind = Kind.TEXT
    width: int = 14


def as_text(value: object) -> str:
    """The text written for a value: '' for None, neutralised for strings."""
    if value is None:
        return ""
    return neutralise(str(value))

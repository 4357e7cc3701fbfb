"""Free text from users: length-limited, stored as given, but never characters a database or
a spreadsheet refuses. The one rule for every text input (JSON APIs through these pydantic types
and patterns, admin forms through ``backend/admin``'s check, imports through ``storable``)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# NUL is refused by PostgreSQL text columns, the other C0 control characters by xlsx (a stored
# \u001f made every export of the question bank fail), and lone surrogates cannot be encoded as
# UTF-8. Tab and newline (and the CR of a browser's CRLF) are text.
_FORBIDDEN = frozenset(range(0x20)) - {0x09, 0x0A, 0x0D}
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# The same rule as JSON-schema patterns (what the OpenAPI documents state): text that may hold
# tabs and line breaks, and a single line (names, codes).
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# Required text: the same, with one character that is not blank (what check_not_blank asks).
REQUIRED_TEXT_PATTERN = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*[^\s\x00-\x1f\x7f\x85]"
    r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
)


def storable(value: str) -> bool:
    """Whether every character of ``value`` can be stored and exported."""
    return _CONTROLS.search(value) is None


def xlsx_safe(value: str) -> str:
    """``value`` without the characters an xlsx cell cannot hold (text stored before the rule)."""
    return _CONTROLS.sub("", value)


def check_storable(value: str) -> str:
    """Reject text that no database column can hold; return it unchanged otherwise."""
    if not storable(value):
        raise ValueError("text contains characters that cannot be stored")
    return value


def check_not_blank(value: str) -> str:
    """Reject unstorable or whitespace-only text."""
    if not value.strip():
        raise ValueError("text is blank")
    return check_storable(value)


def user_text(max_length: int):
    """A pydantic type for required free text of at most ``max_length`` characters."""
    return Annotated[
        str,
        StringConstraints(min_length=1, max_length=max_length, pattern=REQUIRED_TEXT_PATTERN),
        AfterValidator(check_not_blank),
    ]


def optional_text(max_length: int):
    """A pydantic type for free text that may be empty."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length, pattern=TEXT_PATTERN),
        AfterValidator(check_storable),
    ]


MAX_FILENAME = 255
_FILENAME_DROPPED = re.compile("[\\x00-\\x1f\\x7f\\ud800-\\udfff]")


def stored_filename(name: str | None, default: str = "file") -> str:
    """An uploaded file's name as we keep and show it: the last path component (a browser or a
    client may send ``C:\\...\\a.pdf`` or ``../a.pdf``), without control characters (NUL is
    refused by PostgreSQL), trimmed, at most 255 characters with the extension kept."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _FILENAME_DROPPED.sub("", name).strip().lstrip(".")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot and stem else ""
        name = name[: MAX_FILENAME - len(ext) - 1] + "." + ext if ext else name[:MAX_FILENAME]
    return name or default

"""Free text from users: length-limited, stored as given, but never bytes a database refuses."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# NUL is refused by PostgreSQL text columns and lone surrogates cannot be encoded as UTF-8; other
# control characters (tabs, newlines) are kept, since text is stored as given.
_FORBIDDEN = {0}


def storable(value: str) -> bool:
    """Whether every character of ``value`` can be stored in any of our databases."""
    return not any(ord(c) in _FORBIDDEN or 0xD800 <= ord(c) <= 0xDFFF for c in value)


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
        str, StringConstraints(min_length=1, max_length=max_length), AfterValidator(check_not_blank)
    ]


def optional_text(max_length: int):
    """A pydantic type for free text that may be empty."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(check_storable)]

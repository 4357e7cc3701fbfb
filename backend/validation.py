"""Validation of identity numbers, credit codes, mobiles and accounts shared by every input path."""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "InvalidValue",
    "birth_date_from_resident_id",
    "credit_code_checksum_ok",
    "gender_from_resident_id",
    "normalize_credit_code",
    "normalize_gender",
    "normalize_resident_id",
    "resident_id_check_char",
    "validate_account",
    "validate_credit_code",
    "validate_mobile",
    "validate_resident_id",
]


class InvalidValue(ValueError):
    """A rejected value with a stable snake_case ``code`` and a Chinese ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self):
        # ValueError pickles as cls(*args); args holds only the message, so rebuild both fields.
        return (type(self), (self.code, self.message))

    def __str__(self) -> str:
        return self.message


# --- Resident identity card numbers (GB 11643-1999) -------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# Explicit [0-9] rather than \d: \d also matches full-width and other Unicode digits.
_ID_PATTERN = re.compile(r"[0-9]{17}[0-9X]")
_ID_MIN_YEAR = 1900

_GENDER_ALIASES = {
    "male": "male",
    "m": "male",
    "男": "male",
    "female": "female",
    "f": "female",
    "女": "female",
}


def normalize_resident_id(value: str) -> str:
    """Strip surrounding whitespace and upper-case a trailing x."""
    value = (value or "").strip()
    if value.endswith("x"):
        value = value[:-1] + "X"
    return value


def resident_id_check_char(body: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _today() -> date:
    # Imported lazily so this module stays importable on its own and tests can move the clock.
    from backend.clock import today

    return today()


def validate_resident_id(
    value: str, gender: str | None = None, *, today: date | None = None
) -> str:
    """Validate a mainland resident ID number and return it normalized."""
    if not isinstance(value, str):
        raise InvalidValue("id_format", "身份证号码格式不正确，应为18位")
    normalized = normalize_resident_id(value)
    if not _ID_PATTERN.fullmatch(normalized):
        raise InvalidValue(
            "id_format", "身份证号码格式不正确，应为18位，前17位为数字，最后一位为数字或X"
        )

    try:
        birth = date(int(normalized[6:10]), int(normalized[10:12]), int(normalized[12:14]))
    except ValueError:
        raise InvalidValue("id_birth_date", "身份证号码中的出生日期不存在") from None
    if birth.year < _ID_MIN_YEAR:
        raise InvalidValue("id_birth_date", "身份证号码中的出生日期早于1900年")
    if birth > (today if today is not None else _today()):
        raise InvalidValue("id_birth_date", "身份证号码中的出生日期晚于今天")

    if resident_id_check_char(normalized[:17]) != normalized[17]:
        raise InvalidValue("id_checksum", "身份证号码校验位不正确，请核对后重新输入")

    # A blank gender cell in an import means "not given", not a mismatch.
    if gender is not None and gender.strip():
        expected = normalize_gender(gender)
        if _gender_of(normalized) != expected:
            raise InvalidValue("id_gender_mismatch", "身份证号码与所填性别不一致")
    return normalized


def _gender_of(normalized_id: str) -> str:
    return "male" if int(normalized_id[16]) % 2 == 1 else "female"


def gender_from_resident_id(value: str, *, today: date | None = None) -> str:
    """Return "male" or "female" from a valid resident ID (17th digit odd = male)."""
    return _gender_of(validate_resident_id(value, today=today))


def birth_date_from_resident_id(value: str, *, today: date | None = None) -> date:
    """Return the birth date encoded in a valid resident ID."""
    normalized = validate_resident_id(value, today=today)
    return date(int(normalized[6:10]), int(normalized[10:12]), int(normalized[12:14]))


def normalize_gender(value: str) -> str:
    """Map 男/女/male/female/M/F (any case) to "male" or "female"."""
    key = value.strip().lower() if isinstance(value, str) else ""
    try:
        return _GENDER_ALIASES[key]
    except KeyError:
        raise InvalidValue("gender_invalid", "性别只能填写“男”或“女”") from None


# --- Unified social credit codes (GB 32100-2015) ----------------------------------------------

# GB 32100 leaves out I, O, Z, S and V so they cannot be confused with 1, 0, 2, 5 and U.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUES = {char: index for index, char in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalize_credit_code(value: str) -> str:
    """Strip surrounding whitespace and upper-case a credit code."""
    return (value or "").strip().upper()


def _credit_code_format_ok(normalized: str) -> bool:
    return len(normalized) == 18 and all(char in _CREDIT_VALUES for char in normalized)


def _credit_check_char(body: str) -> str:
    total = sum(
        _CREDIT_VALUES[char] * weight for char, weight in zip(body, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_checksum_ok(value: str) -> bool:
    """Return True if the code is well formed and its check character is right."""
    if not isinstance(value, str):
        return False
    normalized = normalize_credit_code(value)
    return _credit_code_format_ok(normalized) and (
        _credit_check_char(normalized[:17]) == normalized[17]
    )


def validate_credit_code(value: str) -> str:
    """Validate a unified social credit code and return it normalized."""
    if not isinstance(value, str):
        raise InvalidValue("credit_code_format", "统一社会信用代码格式不正确，应为18位")
    normalized = normalize_credit_code(value)
    if len(normalized) != 18:
        raise InvalidValue("credit_code_format", "统一社会信用代码应为18位")
    if not _credit_code_format_ok(normalized):
        raise InvalidValue(
            "credit_code_format",
            "统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）",
        )
    # Kept as a separate code: a platform operator may override only this failure.
    if _credit_check_char(normalized[:17]) != normalized[17]:
        raise InvalidValue("credit_code_checksum", "统一社会信用代码校验位不正确，请核对后重新输入")
    return normalized


# --- Mobile numbers and accounts --------------------------------------------------------------

_MOBILE_SEPARATORS = re.compile(r"[\s\-]+")
_MOBILE_PATTERN = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")
_ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9_.@\-]{3,64}")


def validate_mobile(value: str) -> str:
    """Validate a mainland mobile number and return its 11 digits."""
    compact = _MOBILE_SEPARATORS.sub("", value) if isinstance(value, str) else ""
    match = _MOBILE_PATTERN.fullmatch(compact)
    if match is None:
        raise InvalidValue("mobile_invalid", "手机号码格式不正确，请填写11位中国大陆手机号")
    return match.group(1)


def validate_account(value: str) -> str:
    """Validate a platform login account (3–64 letters, digits, _ . @ -) and return it stripped."""
    account = value.strip() if isinstance(value, str) else ""
    if not _ACCOUNT_PATTERN.fullmatch(account):
        raise InvalidValue(
            "account_invalid",
            "平台登录账号应为3至64位，只能包含字母、数字及 _ . @ - 符号",
        )
    return account

"""Unit tests for backend.validation: resident IDs, credit codes, genders, mobiles, accounts."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from backend.validation import (
    InvalidValue,
    birth_date_from_resident_id,
    credit_code_checksum_ok,
    gender_from_resident_id,
    normalize_credit_code,
    normalize_gender,
    normalize_resident_id,
    validate_account,
    validate_credit_code,
    validate_mobile,
    validate_resident_id,
)

TODAY = date(2025, 6, 1)

# Check characters computed here independently of the module under test.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def with_id_check(body: str) -> str:
    """Append the GB 11643 check character to a 17-digit body."""
    total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


# (id, gender, birth date): the first is the example printed in GB 11643-1999 itself.
VALID_IDS = [
    ("11010519491231002X", "female", date(1949, 12, 31)),
    (with_id_check("11010119900307803"), "male", date(1990, 3, 7)),
    (with_id_check("44010620000229004"), "female", date(2000, 2, 29)),
    (with_id_check("31011519850615123"), "male", date(1985, 6, 15)),
    (with_id_check("51010720250601002"), "female", date(2025, 6, 1)),
]

# Published codes: Huawei Technologies, Shenzhen Tencent Computer Systems, Ping An Bank.
VALID_CREDIT_CODES = ["914403001922038216", "91440300708461136T", "91440300192185379H"]


def error_code(func, *args, **kwargs) -> str:
    """Call func expecting InvalidValue and return its code."""
    with pytest.raises(InvalidValue) as excinfo:
        func(*args, **kwargs)
    return excinfo.value.code


# --- InvalidValue -------------------------------------------------------------------------


def test_invalid_value_carries_code_and_message():
    exc = InvalidValue("id_checksum", "身份证号码校验位不正确")
    assert isinstance(exc, ValueError)
    assert exc.code == "id_checksum"
    assert exc.message == "身份证号码校验位不正确"
    assert str(exc) == "身份证号码校验位不正确"


def test_invalid_value_survives_copying():
    # deepcopy goes through __reduce__, as pickling between worker processes does.
    clone = copy.deepcopy(InvalidValue("mobile_invalid", "手机号码格式不正确"))
    assert (clone.code, clone.message) == ("mobile_invalid", "手机号码格式不正确")


# --- Resident IDs -------------------------------------------------------------------------


@pytest.mark.parametrize(("resident_id", "gender", "born"), VALID_IDS)
def test_valid_resident_ids(resident_id, gender, born):
    assert validate_resident_id(resident_id, today=TODAY) == resident_id
    assert validate_resident_id(resident_id, gender, today=TODAY) == resident_id
    assert gender_from_resident_id(resident_id, today=TODAY) == gender
    assert birth_date_from_resident_id(resident_id, today=TODAY) == born


def test_standard_example_is_female_born_1949_12_31():
    assert gender_from_resident_id("11010519491231002X", today=TODAY) == "female"
    assert birth_date_from_resident_id("11010519491231002X", today=TODAY) == date(1949, 12, 31)


def test_lowercase_x_and_whitespace_are_normalized():
    assert normalize_resident_id(" 11010519491231002x\n") == "11010519491231002X"
    assert validate_resident_id("11010519491231002x", today=TODAY) == "11010519491231002X"
    assert validate_resident_id("  11010519491231002X  ", today=TODAY) == "11010519491231002X"


@pytest.mark.parametrize(("resident_id", "_gender", "_born"), VALID_IDS)
def test_every_single_character_corruption_is_rejected(resident_id, _gender, _born):
    for position, original in enumerate(resident_id):
        alphabet = "0123456789X" if position == 17 else "0123456789"
        for replacement in alphabet:
            if replacement == original:
                continue
            corrupted = resident_id[:position] + replacement + resident_id[position + 1 :]
            code = error_code(validate_resident_id, corrupted, today=TODAY)
            assert code in {"id_checksum", "id_format", "id_birth_date"}, corrupted


def test_x_is_only_allowed_as_check_character():
    for position in range(17):
        corrupted = "11010519491231002X"[:position] + "X" + "11010519491231002X"[position + 1 :]
        assert error_code(validate_resident_id, corrupted, today=TODAY) == "id_format"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "110105194912310",  # old 15-digit format is not accepted
        "11010519491231002Y",
        "A1010519491231002X",
        "１１０１０５１９４９１２３１００２X",  # full-width digits
        "110105 19491231002X",
    ],
)
def test_malformed_ids_are_format_errors(value):
    assert error_code(validate_resident_id, value, today=TODAY) == "id_format"


def test_non_string_id_is_format_error():
    assert error_code(validate_resident_id, None, today=TODAY) == "id_format"
    assert error_code(validate_resident_id, 11010519491231002, today=TODAY) == "id_format"


@pytest.mark.parametrize(
    "body",
    [
        "11010519490230002",  # 30 February
        "11010519490229002",  # 29 February in a non-leap year
        "11010519000229002",  # 1900 was not a leap year
        "11010519491301002",  # month 13
        "11010519490000002",  # month 0, day 0
        "11010519490431002",  # 31 April
    ],
)
def test_impossible_birth_dates_are_rejected_even_with_valid_checksum(body):
    assert error_code(validate_resident_id, with_id_check(body), today=TODAY) == "id_birth_date"


def test_birth_date_in_the_future_is_rejected():
    resident_id = with_id_check("51010720250602002")  # born the day after TODAY
    assert error_code(validate_resident_id, resident_id, today=TODAY) == "id_birth_date"
    assert validate_resident_id(resident_id, today=date(2025, 6, 2)) == resident_id


def test_birth_before_1900_is_rejected():
    # The second example in GB 11643-1999 (born 1880-01-01): checksum right, year too early.
    assert with_id_check("44052418800101001") == "440524188001010014"
    assert error_code(validate_resident_id, "440524188001010014", today=TODAY) == "id_birth_date"
    assert validate_resident_id(with_id_check("11010519000101001"), today=TODAY)


def test_today_defaults_to_backend_clock(monkeypatch):
    resident_id = with_id_check("51010720250601002")
    monkeypatch.setattr("backend.clock.today", lambda: date(2025, 5, 31))
    assert error_code(validate_resident_id, resident_id) == "id_birth_date"
    monkeypatch.setattr("backend.clock.today", lambda: date(2025, 6, 1))
    assert validate_resident_id(resident_id) == resident_id


@pytest.mark.parametrize("gender", ["male", "男", "M", "Male"])
def test_gender_mismatch_for_female_id(gender):
    code = error_code(validate_resident_id, "11010519491231002X", gender, today=TODAY)
    assert code == "id_gender_mismatch"


@pytest.mark.parametrize("gender", ["female", "女", "F", " female "])
def test_gender_match_for_female_id(gender):
    assert validate_resident_id("11010519491231002X", gender, today=TODAY)


def test_gender_mismatch_for_male_id():
    male_id = with_id_check("11010119900307803")
    assert error_code(validate_resident_id, male_id, "女", today=TODAY) == "id_gender_mismatch"
    assert validate_resident_id(male_id, "男", today=TODAY) == male_id


def test_blank_gender_means_not_given_and_unknown_gender_is_rejected():
    assert validate_resident_id("11010519491231002X", "", today=TODAY)
    code = error_code(validate_resident_id, "11010519491231002X", "未知", today=TODAY)
    assert code == "gender_invalid"


def test_checksum_error_is_reported_before_gender():
    assert error_code(validate_resident_id, "110105194912310021", "male", today=TODAY) == (
        "id_checksum"
    )


def test_derivations_reject_invalid_ids():
    assert error_code(gender_from_resident_id, "110105194912310021", today=TODAY) == "id_checksum"
    assert error_code(birth_date_from_resident_id, "bogus", today=TODAY) == "id_format"


# --- Gender -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("男", "male"),
        ("女", "female"),
        ("male", "male"),
        ("female", "female"),
        ("M", "male"),
        ("F", "female"),
        ("m", "male"),
        ("FEMALE", "female"),
        (" 女 ", "female"),
    ],
)
def test_normalize_gender(raw, expected):
    assert normalize_gender(raw) == expected


@pytest.mark.parametrize("raw", ["", "未知", "x", "man", "女性别", None])
def test_normalize_gender_rejects_other_values(raw):
    assert error_code(normalize_gender, raw) == "gender_invalid"


# --- Unified social credit codes ----------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_valid_credit_codes(code):
    assert validate_credit_code(code) == code
    assert credit_code_checksum_ok(code)


def test_credit_code_is_stripped_and_uppercased():
    assert validate_credit_code(" 91440300708461136t ") == "91440300708461136T"
    assert normalize_credit_code(" 91440300708461136t ") == "91440300708461136T"
    assert credit_code_checksum_ok("91440300708461136t")


@pytest.mark.parametrize("code", VALID_CREDIT_CODES)
def test_every_single_character_credit_code_corruption_is_a_checksum_error(code):
    for position, original in enumerate(code):
        for replacement in CREDIT_ALPHABET:
            if replacement == original:
                continue
            corrupted = code[:position] + replacement + code[position + 1 :]
            assert error_code(validate_credit_code, corrupted) == "credit_code_checksum", corrupted
            assert not credit_code_checksum_ok(corrupted)


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_excluded_letters_are_format_errors(letter):
    corrupted = letter + "14403001922038216"
    assert error_code(validate_credit_code, corrupted) == "credit_code_format"
    assert not credit_code_checksum_ok(corrupted)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "91440300708461136",  # 17 characters
        "91440300708461136TT",  # 19 characters
        "9144030070846113-T",
        "914403007084611３6T",  # full-width digit
        None,
    ],
)
def test_malformed_credit_codes_are_format_errors(value):
    assert error_code(validate_credit_code, value) == "credit_code_format"
    assert not credit_code_checksum_ok(value)


def test_format_and_checksum_failures_have_distinct_codes():
    assert error_code(validate_credit_code, "914403001922038217") == "credit_code_checksum"
    assert error_code(validate_credit_code, "91440300192203821") == "credit_code_format"


# --- Mobiles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("+86 138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        (" 138 0013 8000 ", "13800138000"),
    ],
)
def test_valid_mobiles(raw, expected):
    assert validate_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12345678901",  # second digit 2
        "1380013800",  # 10 digits
        "138001380000",  # 12 digits
        "1380013800a",
        "abcdefghijk",
        "",
        "+87 13800138000",
        "0086 13800138000",
        "１３８００１３８０００",  # full-width digits
        None,
    ],
)
def test_invalid_mobiles(raw):
    assert error_code(validate_mobile, raw) == "mobile_invalid"


# --- Accounts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["abc", "zhang.san", "user_01", "hr@example.com", "a-b", "x" * 64, "ABC123"]
)
def test_valid_accounts(raw):
    assert validate_account(raw) == raw


def test_account_is_stripped():
    assert validate_account("  zhangsan  ") == "zhangsan"


@pytest.mark.parametrize(
    "raw", ["ab", "x" * 65, "zhang san", "张三丰", "user#1", "", "a/b", "ｚｈａｎｇ", None]
)
def test_invalid_accounts(raw):
    assert error_code(validate_account, raw) == "account_invalid"


def test_messages_are_chinese():
    with pytest.raises(InvalidValue) as excinfo:
        validate_credit_code("914403001922038217")
    assert "校验位" in excinfo.value.message

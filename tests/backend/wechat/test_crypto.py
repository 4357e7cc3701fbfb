"""Legacy open-data crypto: WeChat's official sample vector, watermark and tamper checks."""

import base64

import pytest

from backend.wechat.crypto import InvalidUserData, decrypt_user_data, encrypt_user_data
from tests.wechat_sample import (
    SAMPLE_APP_ID,
    SAMPLE_ENCRYPTED_DATA,
    SAMPLE_IV,
    SAMPLE_SESSION_KEY,
)

OTHER_KEY = base64.b64encode(bytes(range(16))).decode()
OTHER_IV = base64.b64encode(bytes(range(16, 32))).decode()


def _flip_byte(data_b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(data_b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_official_sample_vector_decrypts():
    data = decrypt_user_data(SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA, SAMPLE_IV, SAMPLE_APP_ID)
    assert data["nickName"] == "Band"
    assert data["watermark"] == {"timestamp": 1477314187, "appid": SAMPLE_APP_ID}
    assert data["unionId"] == "ocMvos6NjeKLIBqg5Mr9QjxrP1FA"


def test_watermark_of_another_app_is_refused():
    with pytest.raises(InvalidUserData, match="watermark"):
        decrypt_user_data(SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA, SAMPLE_IV, "wxOtherApp0001")


def test_payload_without_watermark_is_refused():
    encrypted = encrypt_user_data(OTHER_KEY, {"phoneNumber": "13800138000"}, OTHER_IV)
    with pytest.raises(InvalidUserData):
        decrypt_user_data(OTHER_KEY, encrypted, OTHER_IV, SAMPLE_APP_ID)


@pytest.mark.parametrize("index", [0, 100, -1])
def test_tampered_ciphertext_is_refused(index):
    tampered = _flip_byte(SAMPLE_ENCRYPTED_DATA, index)
    with pytest.raises(InvalidUserData):
        decrypt_user_data(SAMPLE_SESSION_KEY, tampered, SAMPLE_IV, SAMPLE_APP_ID)


def test_wrong_session_key_is_refused_without_leaking_it():
    with pytest.raises(InvalidUserData) as info:
        decrypt_user_data(OTHER_KEY, SAMPLE_ENCRYPTED_DATA, SAMPLE_IV, SAMPLE_APP_ID)
    assert OTHER_KEY not in str(info.value)
    assert info.value.__cause__ is None


@pytest.mark.parametrize(
    ("session_key", "encrypted", "iv"),
    [
        ("not base64!!", SAMPLE_ENCRYPTED_DATA, SAMPLE_IV),
        (SAMPLE_SESSION_KEY, "%%%%", SAMPLE_IV),
        (SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA, "short=="),
        (base64.b64encode(b"x" * 24).decode(), SAMPLE_ENCRYPTED_DATA, SAMPLE_IV),
        (SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA[:-8], SAMPLE_IV),
        (SAMPLE_SESSION_KEY, "", SAMPLE_IV),
    ],
)
def test_malformed_inputs_are_refused(session_key, encrypted, iv):
    with pytest.raises(InvalidUserData):
        decrypt_user_data(session_key, encrypted, iv, SAMPLE_APP_ID)


def test_encrypt_round_trip_for_legacy_phone_payload():
    payload = {
        "phoneNumber": "13800138000",
        "purePhoneNumber": "13800138000",
        "countryCode": "86",
        "watermark": {"appid": "wxShigangTest01", "timestamp": 1700000000},
        "note": "适岗",
    }
    encrypted = encrypt_user_data(OTHER_KEY, payload, OTHER_IV)
    assert decrypt_user_data(OTHER_KEY, encrypted, OTHER_IV, "wxShigangTest01") == payload


def test_encrypt_matches_the_official_vector_format():
    plain = decrypt_user_data(SAMPLE_SESSION_KEY, SAMPLE_ENCRYPTED_DATA, SAMPLE_IV, SAMPLE_APP_ID)
    again = encrypt_user_data(SAMPLE_SESSION_KEY, plain, SAMPLE_IV)
    assert decrypt_user_data(SAMPLE_SESSION_KEY, again, SAMPLE_IV, SAMPLE_APP_ID) == plain

"""Unit tests for backend.crypto: field encryption, blind indexes, key derivation, masks."""

from __future__ import annotations

import base64

import pytest

from backend.crypto import (
    DecryptionError,
    FieldCipher,
    derive_keys,
    generate_master_key,
    mask_mobile,
    mask_resident_id,
)

RESIDENT_ID = "11010519491231002X"
MASTER_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode("ascii")


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher(*derive_keys(MASTER_KEY))


def flip_bit(token: str, byte_index: int) -> str:
    """Return the token with one bit of its decoded payload flipped."""
    raw = bytearray(base64.urlsafe_b64decode(token[3:]))
    raw[byte_index] ^= 0x01
    return "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode("ascii")


# --- Encryption ---------------------------------------------------------------------------


@pytest.mark.parametrize("plaintext", [RESIDENT_ID, "13800138000", "张三", "", "x" * 1000])
def test_round_trip(cipher, plaintext):
    token = cipher.encrypt(plaintext)
    assert token.startswith("v1:")
    assert token.isascii()
    assert cipher.decrypt(token) == plaintext


def test_token_layout_is_nonce_ciphertext_and_tag(cipher):
    token = cipher.encrypt(RESIDENT_ID)
    raw = base64.urlsafe_b64decode(token[3:])
    assert len(raw) == 12 + len(RESIDENT_ID) + 16


def test_ciphertext_does_not_contain_plaintext(cipher):
    token = cipher.encrypt(RESIDENT_ID)
    assert RESIDENT_ID not in token
    assert "19491231" not in token
    assert "13800138000" not in cipher.encrypt("13800138000")
    raw = base64.urlsafe_b64decode(token[3:])
    assert RESIDENT_ID.encode() not in raw


def test_two_encryptions_differ(cipher):
    first, second = cipher.encrypt(RESIDENT_ID), cipher.encrypt(RESIDENT_ID)
    assert first != second
    assert first[3:19] != second[3:19]  # the leading bytes are the random nonce
    assert cipher.decrypt(first) == cipher.decrypt(second) == RESIDENT_ID


def test_tampering_anywhere_is_detected(cipher):
    token = cipher.encrypt(RESIDENT_ID)
    length = len(base64.urlsafe_b64decode(token[3:]))
    for byte_index in range(length):  # nonce, ciphertext and tag alike
        with pytest.raises(DecryptionError):
            cipher.decrypt(flip_bit(token, byte_index))


def test_truncated_or_extended_token_is_rejected(cipher):
    token = cipher.encrypt(RESIDENT_ID)
    raw = base64.urlsafe_b64decode(token[3:])
    for payload in (raw[:-1], raw + b"\x00", raw[:27], b""):
        with pytest.raises(DecryptionError):
            cipher.decrypt("v1:" + base64.urlsafe_b64encode(payload).decode("ascii"))


@pytest.mark.parametrize(
    "token", ["", "v1:", "v2:AAAA", RESIDENT_ID, "v1:not base64!", "v1:AAA*AAA", None, b"v1:AAAA"]
)
def test_malformed_tokens_raise_decryption_error(cipher, token):
    with pytest.raises(DecryptionError):
        cipher.decrypt(token)


def test_wrong_key_is_detected(cipher):
    token = cipher.encrypt(RESIDENT_ID)
    other = FieldCipher(*derive_keys(generate_master_key()))
    with pytest.raises(DecryptionError):
        other.decrypt(token)


def test_decryption_error_is_a_value_error():
    assert issubclass(DecryptionError, ValueError)


def test_same_keys_decrypt_across_instances():
    token = FieldCipher(*derive_keys(MASTER_KEY)).encrypt(RESIDENT_ID)
    assert FieldCipher(*derive_keys(MASTER_KEY)).decrypt(token) == RESIDENT_ID


# --- Blind index --------------------------------------------------------------------------


def test_blind_index_is_deterministic_hex(cipher):
    digest = cipher.blind_index(RESIDENT_ID)
    assert digest == cipher.blind_index(RESIDENT_ID)
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert digest == digest.lower()
    assert cipher.blind_index("11010519491231002x") != digest  # callers normalize first


def test_blind_index_depends_on_key(cipher):
    other = FieldCipher(*derive_keys(generate_master_key()))
    assert other.blind_index(RESIDENT_ID) != cipher.blind_index(RESIDENT_ID)


def test_blind_index_does_not_use_the_encryption_key():
    aes_key, index_key = derive_keys(MASTER_KEY)
    swapped_index = FieldCipher(aes_key, bytes(32 * [7]))
    assert swapped_index.blind_index(RESIDENT_ID) != FieldCipher(aes_key, index_key).blind_index(
        RESIDENT_ID
    )


# --- Keys ---------------------------------------------------------------------------------


def test_derive_keys_gives_two_distinct_32_byte_keys():
    aes_key, index_key = derive_keys(MASTER_KEY)
    assert len(aes_key) == len(index_key) == 32
    assert aes_key != index_key
    master = base64.urlsafe_b64decode(MASTER_KEY)
    assert master not in (aes_key, index_key)
    assert derive_keys(MASTER_KEY) == (aes_key, index_key)


def test_derive_keys_depends_on_master_key():
    assert derive_keys(generate_master_key()) != derive_keys(MASTER_KEY)


def test_derive_keys_tolerates_missing_padding_and_whitespace():
    assert derive_keys(MASTER_KEY.rstrip("=")) == derive_keys(MASTER_KEY)
    assert derive_keys(f"  {MASTER_KEY}\n") == derive_keys(MASTER_KEY)


@pytest.mark.parametrize(
    "bad_key",
    [
        "",
        "   ",
        None,
        base64.urlsafe_b64encode(bytes(16)).decode("ascii"),  # 16 bytes
        base64.urlsafe_b64encode(bytes(31)).decode("ascii"),
        base64.urlsafe_b64encode(bytes(33)).decode("ascii"),
        "not base64 at all!",
        "@" * 44,
    ],
)
def test_derive_keys_rejects_missing_or_wrong_size_keys(bad_key):
    with pytest.raises(ValueError, match="master key"):
        derive_keys(bad_key)


def test_generate_master_key_is_random_and_usable():
    first, second = generate_master_key(), generate_master_key()
    assert first != second
    assert len(base64.urlsafe_b64decode(first)) == 32
    cipher = FieldCipher(*derive_keys(first))
    assert cipher.decrypt(cipher.encrypt("张三")) == "张三"


@pytest.mark.parametrize(
    ("key", "index_key"),
    [
        (bytes(16), bytes(range(32))),  # AES key too short
        (bytes(range(32)), bytes(range(32))),  # the same key twice
        (bytes(range(32)), b"short"),
        ("0" * 32, bytes(range(32))),  # str, not bytes
    ],
)
def test_field_cipher_rejects_bad_keys(key, index_key):
    with pytest.raises(ValueError):
        FieldCipher(key, index_key)


# --- Masks --------------------------------------------------------------------------------


def test_mask_resident_id():
    assert mask_resident_id("440106199001011234") == "440106********1234"
    assert mask_resident_id("11010519491231002x") == "110105********002X"
    assert mask_resident_id(None) == ""
    assert mask_resident_id("") == ""
    assert mask_resident_id("12345") == "*****"


def test_mask_mobile():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile(" 13812345678 ") == "138****5678"
    assert mask_mobile(None) == ""
    assert mask_mobile("") == ""
    assert mask_mobile("1234") == "****"

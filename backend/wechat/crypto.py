"""Legacy WeChat open-data crypto (wx.getUserInfo / old getPhoneNumber encryptedData).

WeChat encrypts open data with AES-128-CBC and PKCS#7 padding, keyed by the user's
session_key, and embeds ``watermark.appid`` so data minted for another mini-program can be
refused. CBC has no authentication, so the JSON parse and the watermark check are what
reject tampered or foreign payloads.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK_BITS = 128
_KEY_BYTES = 16  # AES-128: WeChat session keys are 16 random bytes
_IV_BYTES = 16


class InvalidUserData(ValueError):
    """encryptedData could not be decrypted, parsed, or was minted for another app."""


def _b64(value: str, what: str, expected_len: int | None = None) -> bytes:
    """Strictly decode base64, refusing junk instead of silently skipping it."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        # "from None": the original error adds nothing useful and must not drag input along.
        raise InvalidUserData(f"{what} is not valid base64") from None
    if expected_len is not None and len(raw) != expected_len:
        raise InvalidUserData(f"{what} must decode to {expected_len} bytes")
    return raw


def _cipher(session_key_b64: str, iv_b64: str) -> Cipher:
    key = _b64(session_key_b64, "session_key", _KEY_BYTES)
    iv = _b64(iv_b64, "iv", _IV_BYTES)
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def decrypt_user_data(
    session_key_b64: str, encrypted_data_b64: str, iv_b64: str, app_id: str
) -> dict[str, Any]:
    """Decrypt WeChat encryptedData and check that its watermark names our app id."""
    cipher = _cipher(session_key_b64, iv_b64)
    ciphertext = _b64(encrypted_data_b64, "encryptedData")
    if not ciphertext or len(ciphertext) % (_BLOCK_BITS // 8):
        raise InvalidUserData("encryptedData length is not a whole number of AES blocks")
    decryptor = cipher.decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
    try:
        plaintext = unpadder.update(padded) + unpadder.finalize()
        payload = json.loads(plaintext.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        # JSONDecodeError keeps the decrypted text in .doc: never chain it into logs.
        raise InvalidUserData("encryptedData does not decrypt to JSON") from None
    if not isinstance(payload, dict):
        raise InvalidUserData("encryptedData is not a JSON object")
    watermark = payload.get("watermark")
    if not isinstance(watermark, dict) or watermark.get("appid") != app_id:
        raise InvalidUserData("encryptedData watermark does not match this app")
    return payload


def encrypt_user_data(session_key_b64: str, payload: dict[str, Any], iv_b64: str) -> str:
    """Produce legacy encryptedData for a payload, as WeChat would (simulator and tests)."""
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    padder = padding.PKCS7(_BLOCK_BITS).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = _cipher(session_key_b64, iv_b64).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return base64.b64encode(ciphertext).decode("ascii")

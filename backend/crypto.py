"""Encryption at rest, blind indexes and display masks for personal data."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "DecryptionError",
    "FieldCipher",
    "derive_keys",
    "generate_master_key",
    "mask_mobile",
    "mask_resident_id",
]

_VERSION_PREFIX = "v1:"
_NONCE_BYTES = 12
_TAG_BYTES = 16
_KEY_BYTES = 32
# Checked before decoding because the stdlib decoder silently skips characters outside the alphabet.
_URLSAFE_B64 = re.compile(r"[A-Za-z0-9_\-]*={0,2}")

# Distinct HKDF labels make the two derived keys independent; changing them breaks stored data.
_AES_KEY_INFO = b"shigang/field-encryption/aes-256-gcm/v1"
_INDEX_KEY_INFO = b"shigang/field-encryption/blind-index-hmac-sha256/v1"


class DecryptionError(ValueError):
    """A stored token could not be decrypted: malformed, tampered with, or wrong key."""


class FieldCipher:
    """AES-256-GCM encryption of single text fields plus an HMAC blind index for lookups."""

    def __init__(self, key: bytes, index_key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != _KEY_BYTES:
            raise ValueError("FieldCipher key must be exactly 32 bytes (AES-256)")
        if not isinstance(index_key, bytes) or len(index_key) < _KEY_BYTES:
            raise ValueError("FieldCipher index_key must be at least 32 bytes")
        # Reusing one key for both would tie the lookup hashes to the encryption key.
        if hmac.compare_digest(key, index_key):
            raise ValueError("FieldCipher index_key must differ from key")
        self._aead = AESGCM(key)
        self._index_key = index_key

    def encrypt(self, plaintext: str) -> str:
        """Encrypt text into an ASCII token "v1:" + urlsafe base64(nonce + ciphertext)."""
        # A fresh random nonce per call: GCM is broken if a nonce ever repeats under one key.
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), None)
        return _VERSION_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made by encrypt(); raise DecryptionError if it does not verify."""
        if not isinstance(token, str) or not token.startswith(_VERSION_PREFIX):
            raise DecryptionError("unknown or missing token version")
        body = token[len(_VERSION_PREFIX) :]
        # strict_mode refuses anything outside the alphabet (the lenient decoder skips it);
        # "+" and "/" belong to the other alphabet, so they are refused before translating.
        if "+" in body or "/" in body:
            raise DecryptionError("token is not urlsafe base64")
        try:
            raw = binascii.a2b_base64(body.replace("-", "+").replace("_", "/"), strict_mode=True)
        except (binascii.Error, ValueError):
            raise DecryptionError("token is not urlsafe base64") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("token is too short")
        try:
            plaintext = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
            return plaintext.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise DecryptionError("token failed authentication (tampered or wrong key)") from None

    def blind_index(self, value: str) -> str:
        """Return HMAC-SHA256 hex of the value for exact lookups; normalize the value first."""
        return hmac.new(self._index_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def _hkdf(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=None, info=info).derive(master)


def derive_keys(master_key_b64: str) -> tuple[bytes, bytes]:
    """Derive (aes_key, index_key) from the configured urlsafe-base64 32-byte master key."""
    if not master_key_b64 or not master_key_b64.strip():
        raise ValueError(
            "Field encryption master key is missing; generate one with generate_master_key()"
        )
    text = master_key_b64.strip()
    # Tolerate a key pasted without its trailing "=" padding.
    padded = text + "=" * (-len(text) % 4)
    if not _URLSAFE_B64.fullmatch(padded):
        raise ValueError("Field encryption master key is not valid urlsafe base64")
    try:
        master = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        raise ValueError("Field encryption master key is not valid urlsafe base64") from None
    if len(master) != _KEY_BYTES:
        raise ValueError(
            f"Field encryption master key must decode to 32 bytes, got {len(master)}; "
            "generate one with generate_master_key()"
        )
    return _hkdf(master, _AES_KEY_INFO), _hkdf(master, _INDEX_KEY_INFO)


def generate_master_key() -> str:
    """Return a new random master key as urlsafe base64 of 32 bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii")


def mask_resident_id(value: str | None) -> str:
    """Mask a resident ID as first 6 + asterisks + last 4, e.g. 440106********1234."""
    text = (value or "").strip().upper()
    if not text:
        return ""
    # Too short to keep both ends without revealing nearly everything: hide it all.
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_mobile(value: str | None) -> str:
    """Mask a mobile number as first 3 + asterisks + last 4, e.g. 138****5678."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]

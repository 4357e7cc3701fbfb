"""The one rule for a personal field at rest and on screen: AES-GCM ciphertext with a blind
index, masked when shown.

A leaf module (it imports neither the models nor the audit log), so that the models and
``backend.pii`` keep one rule: ``backend.pii`` adds the audit entry of every full reveal.
"""

from __future__ import annotations

from flask import current_app

from backend.crypto import FieldCipher, mask_mobile, mask_resident_id


def cipher() -> FieldCipher:
    """The app's field cipher."""
    return current_app.extensions["field_cipher"]


def seal(value: str, field_cipher: FieldCipher | None = None) -> tuple[str, str]:
    """(ciphertext, blind index) of a validated, normalized value; ("", "") for none."""
    if not value:
        return "", ""
    field_cipher = field_cipher or cipher()
    return field_cipher.encrypt(value), field_cipher.blind_index(value)


def opened(token: str, field_cipher: FieldCipher | None = None) -> str:
    """The stored value in full ("" for none): callers showing it must audit the reveal."""
    return (field_cipher or cipher()).decrypt(token) if token else ""


def masked_mobile(token: str) -> str:
    """A stored mobile as shown on screen, e.g. 138****5678 ("" for none)."""
    return mask_mobile(opened(token))


def masked_id_number(token: str, field_cipher: FieldCipher | None = None) -> str:
    """A stored ID number as shown on screen, e.g. 440106********1234."""
    return mask_resident_id(opened(token, field_cipher))

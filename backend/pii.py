"""Personal data: encrypt ID numbers and mobiles, mask them, audit every full reveal."""

from __future__ import annotations

from flask import current_app

from backend import audit
from backend.crypto import FieldCipher, mask_mobile, mask_resident_id
from backend.models import Project, Trainee


def cipher() -> FieldCipher:
    """The app's field cipher."""
    return current_app.extensions["field_cipher"]


def blind_index(value: str) -> str:
    """The keyed hash used to look up or de-duplicate an exact value."""
    return cipher().blind_index(value)


def set_id_number(trainee: Trainee, id_number: str) -> None:
    """Store a validated, normalized ID number encrypted, with its blind index."""
    trainee.id_number_enc = cipher().encrypt(id_number)
    trainee.id_number_hash = blind_index(id_number)


def set_mobile(trainee: Trainee, mobile: str) -> None:
    """Store a validated mobile encrypted, with its blind index."""
    trainee.mobile_enc = cipher().encrypt(mobile)
    trainee.mobile_hash = blind_index(mobile)


def masked_id_number(trainee: Trainee, field_cipher: FieldCipher | None = None) -> str:
    """The ID number as shown on screen, e.g. 440106********1234 (``field_cipher``: the app's,
    when a caller masking many rows has looked it up once)."""
    return mask_resident_id((field_cipher or cipher()).decrypt(trainee.id_number_enc))


def masked_mobile(trainee: Trainee) -> str:
    """The mobile as shown on screen, e.g. 138****5678."""
    return mask_mobile(cipher().decrypt(trainee.mobile_enc))


def mobile_matches(trainee: Trainee, mobile: str) -> bool:
    """Whether ``mobile`` is the trainee's roster mobile, without revealing it."""
    return blind_index(mobile) == trainee.mobile_hash


def reveal_id_number(trainee: Trainee, actor: audit.Actor, *, purpose: str):
    """The full ID number; the access is written to the audit log."""
    audit.record(
        "pii.reveal_id_number",
        actor,
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
        purpose=purpose,
    )
    return cipher().decrypt(trainee.id_number_enc)


def reveal_mobile(trainee: Trainee, actor: audit.Actor, *, purpose: str):
    """The full mobile; the access is written to the audit log."""
    audit.record(
        "pii.reveal_mobile",
        actor,
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
        purpose=purpose,
    )
    return cipher().decrypt(trainee.mobile_enc)


def set_project_mobile(project: Project, mobile: str) -> None:
    """Store a project's person-in-charge mobile encrypted, with its blind index ("" for none)."""
    project.person_mobile = mobile or ""


def project_mobile(project: Project) -> str:
    """The full person-in-charge mobile: for the filing form (附件1) and the project's own form."""
    return cipher().decrypt(project.person_mobile_enc) if project.person_mobile_enc else ""


def masked_project_mobile(project: Project) -> str:
    """The person-in-charge mobile as shown on screen."""
    return project.person_mobile


def with_plain_mobile(fields: dict) -> dict:
    """A snapshot's project fields with the mobile decrypted (snapshots taken before it was
    encrypted hold it plain), for the filing form and the bureau."""
    fields = dict(fields)
    encrypted = fields.pop("person_mobile_enc", None)
    if encrypted is not None:
        fields["person_mobile"] = cipher().decrypt(encrypted) if encrypted else ""
    fields.setdefault("person_mobile", "")
    return fields


def plain_snapshot(snapshot: dict | None) -> dict | None:
    """The stored filing snapshot as filed (the mobile in full), for the supervision API."""
    if not snapshot or "project" not in snapshot:
        return snapshot
    return snapshot | {"project": with_plain_mobile(snapshot["project"])}

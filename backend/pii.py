"""Personal data: encrypt ID numbers and mobiles, mask them, audit every full reveal.

The rule itself (ciphertext, blind index, mask) is ``backend.pii_fields``, which the models
use too; what this module adds is the audit entry of every full value shown.
"""

from __future__ import annotations

from backend import audit, pii_fields
from backend.crypto import FieldCipher
from backend.models import Project, Trainee
from backend.pii_fields import cipher

__all__ = ["cipher"]


def blind_index(value: str) -> str:
    """The keyed hash used to look up or de-duplicate an exact value."""
    return cipher().blind_index(value)


def set_id_number(trainee: Trainee, id_number: str) -> None:
    """Store a validated, normalized ID number encrypted, with its blind index."""
    trainee.id_number_enc, trainee.id_number_hash = pii_fields.seal(id_number)


def set_mobile(trainee: Trainee, mobile: str) -> None:
    """Store a validated mobile encrypted, with its blind index."""
    trainee.mobile_enc, trainee.mobile_hash = pii_fields.seal(mobile)


def masked_id_number(trainee: Trainee, field_cipher: FieldCipher | None = None) -> str:
    """The ID number as shown on screen, e.g. 440106********1234 (``field_cipher``: the app's,
    when a caller masking many rows has looked it up once)."""
    return pii_fields.masked_id_number(trainee.id_number_enc, field_cipher)


def masked_mobile(trainee: Trainee) -> str:
    """The mobile as shown on screen, e.g. 138****5678."""
    return pii_fields.masked_mobile(trainee.mobile_enc)


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
    return pii_fields.opened(trainee.id_number_enc)


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
    return pii_fields.opened(trainee.mobile_enc)


def reveal_project_mobile(
    project: Project, actor: audit.Actor, *, purpose: str, sealed: str | None = None
) -> str:
    """The full person-in-charge mobile (``sealed``: the one of a filing snapshot, else the
    project's own); the access is written to the audit log."""
    audit.record(
        "pii.reveal_mobile",
        actor,
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
        purpose=purpose,
    )
    return pii_fields.opened(project.person_mobile_enc if sealed is None else sealed)


def sealed_filing_mobile(fields: dict) -> str:
    """The encrypted mobile of 附件1's project fields ("" for none); snapshots taken before it
    was encrypted hold it plain, and are sealed here so that every caller has one kind."""
    if "person_mobile_enc" in fields:
        return fields["person_mobile_enc"] or ""
    return pii_fields.seal(fields.get("person_mobile") or "")[0]


def shown_snapshot(
    snapshot: dict | None,
    project: Project,
    reader: audit.Actor | None = None,
    *,
    purpose: str = "",
) -> dict | None:
    """The stored filing snapshot with the mobile masked, or in full for ``reader`` (the
    reveal audit-logged), never the ciphertext."""
    if not snapshot or "project" not in snapshot:
        return snapshot
    fields = dict(snapshot["project"])
    sealed = sealed_filing_mobile(fields)
    fields.pop("person_mobile_enc", None)
    if reader is None:
        fields["person_mobile"] = pii_fields.masked_mobile(sealed)
    else:
        fields["person_mobile"] = reveal_project_mobile(
            project, reader, purpose=purpose, sealed=sealed
        )
    return snapshot | {"project": fields}

"""The import flow: preview (validate and stash the clean file), then confirm (create trainees)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from flask import current_app
from sqlalchemy import func, select

from backend import audit, pii
from backend.crypto import mask_mobile, mask_resident_id
from backend.extensions import db, redis_store
from backend.kernel.errors import DomainError
from backend.kernel.lifecycle import Activity, ensure
from backend.kernel.scope import get_scoped
from backend.models import AdminUser, Enrolment, Gender, Project, Trainee
from backend.services.plain_text import stored_filename
from backend.services.roster import enrolling, trainee_accounts
from backend.services.roster.parse import read_roster
from backend.services.roster.validate import (
    CleanRow,
    RowError,
    check_sheet,
    errors_as_dicts,
    recheck_platform,
)

PREVIEW_SAMPLE = 20
MAX_ERRORS_SHOWN = 500


@dataclass
class Preview:
    """What the preview page and API show; ``import_id`` is set only for a clean file."""

    project_id: int
    filename: str
    row_count: int
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    import_id: str | None = None
    male: int = 0
    female: int = 0
    elsewhere: int = 0
    existing: int = 0  # people already on the enterprise's roster: enrolled, not created
    already_enrolled: int = 0  # of those, already in this project
    differences: list[dict] = field(default_factory=list)
    sample: list[dict] = field(default_factory=list)
    expires_in_s: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file can be imported."""
        return self.import_id is not None


def preview_import(admin: AdminUser, project: Project, filename: str, data: bytes) -> Preview:
    """Validate an uploaded roster; a clean one is kept server-side under a random id."""
    _check_project_open(project)
    filename = stored_filename(filename, default="roster")
    config = current_app.config
    parsed = read_roster(filename, data, max_rows=config["ROSTER_IMPORT_MAX_ROWS"])
    checked = check_sheet(parsed, project.enterprise_id)
    result = Preview(project_id=project.id, filename=filename, row_count=len(parsed.rows))
    if not checked.ok:
        result.error_count = len(checked.errors)
        result.errors = errors_as_dicts(checked.errors[:MAX_ERRORS_SHOWN])
        return result
    rows = checked.rows
    result.male = sum(1 for r in rows if r.gender == Gender.MALE)
    result.female = len(rows) - result.male
    result.elsewhere = checked.elsewhere
    result.existing = checked.existing
    result.already_enrolled = _already_enrolled(project.id, rows)
    result.differences = [asdict(d) for d in checked.differences]
    result.sample = [_masked(r) for r in rows[:PREVIEW_SAMPLE]]
    result.import_id = secrets.token_urlsafe(24)
    result.expires_in_s = config["ROSTER_IMPORT_TTL_S"]
    payload = {
        "admin_id": admin.id,
        "project_id": project.id,
        "filename": filename,
        "rows": [asdict(r) for r in rows],
    }
    # The clean file holds full ID numbers: encrypted in Redis too, and gone after the TTL.
    sealed = pii.cipher().encrypt(json.dumps(payload, ensure_ascii=False))
    redis_store.client.set(_key(admin.id, result.import_id), sealed, ex=result.expires_in_s)
    return result


@dataclass
class Confirmed:
    """A finished import."""

    project_id: int
    created: int
    trainee_ids: list[int]
    enrolled: int = 0  # people already on the roster, newly enrolled in this project
    already: int = 0  # people already on the roster and in this project
    updated: int = 0  # of those, records changed where the admin accepted the file's values


def confirm_import(
    admin: AdminUser,
    import_id: str,
    accept_rows: Iterable[int] = (),
    *,
    client_address: str,
) -> Confirmed:
    """Create the stashed new trainees, enrol everyone, and apply the accepted differences
    (``accept_rows``: row numbers); the caller commits (one transaction)."""
    # Keyed by the uploader: another admin finds nothing and cannot destroy the preview.
    sealed = redis_store.client.getdel(_key(admin.id, import_id))
    if sealed is None:
        raise DomainError("import_not_found")
    payload = json.loads(pii.cipher().decrypt(sealed))
    if payload["admin_id"] != admin.id:
        # Bound to the admin who uploaded it; to anyone else it does not exist.
        raise DomainError("import_not_found")
    project = get_scoped(Project, payload["project_id"], admin)
    _check_project_open(project)
    rows = [CleanRow(**r) for r in payload["rows"]]
    rechecked = recheck_platform(rows, project.enterprise_id)
    errors = rechecked.errors
    if errors:
        raise DomainError(
            "roster_conflict",
            "预览后平台数据已变化：" + _first_messages(errors) + "，请重新上传名册",
            details=errors_as_dicts(errors[:MAX_ERRORS_SHOWN]),
        )
    if [r.existing_id for r in rechecked.rows] != [r.existing_id for r in rows]:
        raise DomainError("roster_conflict", "预览后本企业的学员名册已变化，请重新上传名册")
    new_rows = [r for r in rows if r.existing_id is None]
    next_seq = 1 + (
        db.session.scalar(
            select(func.max(Trainee.roster_seq)).where(
                Trainee.enterprise_id == project.enterprise_id
            )
        )
        or 0
    )
    trainees = []
    for offset, row in enumerate(new_rows):
        trainee = Trainee(
            enterprise_id=project.enterprise_id,
            roster_seq=next_seq + offset,
            name=row.name,
            gender=Gender(row.gender),
            account=row.account,
        )
        pii.set_id_number(trainee, row.id_number)
        pii.set_mobile(trainee, row.mobile)
        trainees.append(trainee)
    db.session.add_all(trainees)
    db.session.flush()
    db.session.add_all(Enrolment(project_id=project.id, trainee_id=t.id) for t in trainees)
    updated = _apply_accepted(admin, client_address, rows, rechecked, set(accept_rows))
    existing_ids = [r.existing_id for r in rows if r.existing_id is not None]
    enrolled = (
        enrolling.enrol(admin, project, existing_ids, client_address=client_address)
        if existing_ids
        else None
    )
    ids = [t.id for t in trainees]
    audit.record(
        "roster.import",
        audit.admin(admin, client_address),
        object_type="project",
        object_id=project.id,
        enterprise_id=project.enterprise_id,
        filename=payload["filename"],
        created=len(ids),
        trainee_ids=ids,
        existing_ids=existing_ids,
        updated=updated,
    )
    return Confirmed(
        project_id=project.id,
        created=len(ids),
        trainee_ids=ids,
        enrolled=enrolled.enrolled if enrolled else 0,
        already=enrolled.already if enrolled else 0,
        updated=updated,
    )


def _apply_accepted(
    admin: AdminUser, client_address: str, rows: list[CleanRow], checked, accepted: set[int]
) -> int:
    """Take the file's name, mobile and account for the rows the admin accepted."""
    differing = {d.row for d in checked.differences}
    updated = 0
    for row in rows:
        if row.existing_id is None or row.row not in accepted or row.row not in differing:
            continue
        trainee = db.session.get(Trainee, row.existing_id)
        changes = trainee_accounts.Changes(name=row.name, mobile=row.mobile, account=row.account)
        if trainee_accounts.edit(
            admin, trainee, changes, client_address=client_address, source="roster_import"
        ):
            updated += 1
    return updated


def _already_enrolled(project_id: int, rows: list[CleanRow]) -> int:
    ids = [r.existing_id for r in rows if r.existing_id is not None]
    if not ids:
        return 0
    return (
        db.session.scalar(
            select(func.count(Enrolment.id)).where(
                Enrolment.project_id == project_id,
                Enrolment.trainee_id.in_(ids),
                Enrolment.withdrawn_at.is_(None),
            )
        )
        or 0
    )


def _check_project_open(project: Project) -> None:
    ensure(project, Activity.IMPORT_ROSTER)


def _first_messages(errors: list[RowError]) -> str:
    return "；".join(f"第 {e.row} 行{e.column}：{e.message}" for e in errors[:3])


def _masked(row: CleanRow) -> dict:
    return {
        "row": row.row,
        "name": row.name,
        "gender": "男" if row.gender == Gender.MALE else "女",
        "id_number": mask_resident_id(row.id_number),
        "mobile": mask_mobile(row.mobile),
        "account": row.account,
    }


def _key(admin_id: int, import_id: str) -> str:
    return redis_store.key("roster_import", admin_id, import_id)

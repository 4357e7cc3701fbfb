"""Keeping a trainee's record current: edit name, gender, mobile, ID number; deactivate."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from backend import audit, pii
from backend.clock import now
from backend.crypto import mask_mobile, mask_resident_id
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.permissions import Permission, can
from backend.models import AdminUser, Gender, SessionStatus, Trainee
from backend.services.accounts import tokens
from backend.services.learning import sessions
from backend.services.learning.live import epoch_s
from backend.services.plain_text import storable
from backend.validation import InvalidValue, validate_account, validate_mobile, validate_resident_id

register("mobile_taken", 409, "该手机号码已被本企业的其他学员使用")
register("account_taken", 409, "该平台登录账号已被平台上的其他学员使用")
register("id_number_taken", 409, "该身份证号码已在本企业的学员名册中")
register("reason_required", 422, "修改身份证号码须填写原因")
register("invalid_value", 422, "{message}")

NAME_MAX = 100


@dataclass(frozen=True)
class Changes:
    """What an admin asks to change; None leaves a field as it is."""

    name: str | None = None
    gender: str | None = None
    mobile: str | None = None
    account: str | None = None
    id_number: str | None = None
    reason: str = ""


def _invalid(field: str, message: str) -> DomainError:
    return DomainError("invalid_value", field=field, message=message)


def _clean(changes: Changes, trainee: Trainee) -> dict[str, str]:
    """Validated new values that differ from the record (field -> value)."""
    out: dict[str, str] = {}
    if changes.name is not None:
        name = changes.name.strip()
        if not name:
            raise _invalid("name", "姓名不能为空")
        if len(name) > NAME_MAX or not storable(name):
            raise _invalid("name", f"姓名不能超过 {NAME_MAX} 个字，且不能含无法保存的字符")
        if name != trainee.name:
            out["name"] = name
    if changes.gender is not None and changes.gender != trainee.gender.value:
        if changes.gender not in (Gender.MALE.value, Gender.FEMALE.value):
            raise _invalid("gender", "性别只能是男或女")
        out["gender"] = changes.gender
    for field, validate, current in (
        ("mobile", validate_mobile, trainee.mobile_hash),
        ("id_number", validate_resident_id, trainee.id_number_hash),
    ):
        raw = getattr(changes, field)
        if raw is None or not raw.strip():
            continue
        try:
            value = validate(raw)
        except InvalidValue as exc:
            raise _invalid(field, exc.message) from None
        if pii.blind_index(value) != current:
            out[field] = value
    if changes.account is not None and changes.account.strip() != trainee.account:
        try:
            out["account"] = validate_account(changes.account)
        except InvalidValue as exc:
            raise _invalid("account", exc.message) from None
    return out


def _taken(column, value, trainee: Trainee, *, enterprise_only: bool = True) -> bool:
    query = select(Trainee.id).where(column == value, Trainee.id != trainee.id)
    if enterprise_only:
        query = query.where(Trainee.enterprise_id == trainee.enterprise_id)
    return db.session.scalar(query.limit(1)) is not None


def edit(
    actor: AdminUser,
    trainee: Trainee,
    changes: Changes,
    *,
    client_address: str,
    source: str = "admin",
) -> dict:
    """Apply the changes that differ from the record; audit-logged with old and new masked."""
    new = _clean(changes, trainee)
    if "id_number" in new:
        if not can(actor, Permission.EDIT_ID_NUMBER):
            raise DomainError("forbidden", "只有平台运营人员可以修改身份证号码")
        if not changes.reason.strip():
            raise DomainError("reason_required")
    gender = new.get("gender", trainee.gender.value)
    id_number = new.get("id_number") or pii.cipher().decrypt(trainee.id_number_enc)
    if "gender" in new or "id_number" in new:
        try:
            validate_resident_id(id_number, gender)
        except InvalidValue as exc:
            raise _invalid("gender", exc.message) from None
    if "mobile" in new and _taken(Trainee.mobile_hash, pii.blind_index(new["mobile"]), trainee):
        raise DomainError("mobile_taken")
    if "id_number" in new and _taken(
        Trainee.id_number_hash, pii.blind_index(new["id_number"]), trainee
    ):
        raise DomainError("id_number_taken")
    if "account" in new and _taken(Trainee.account, new["account"], trainee, enterprise_only=False):
        raise DomainError("account_taken")
    if not new:
        return {}
    shown: dict[str, dict[str, str]] = {}
    if "name" in new:
        shown["name"] = {"old": trainee.name, "new": new["name"]}
        trainee.name = new["name"]
    if "gender" in new:
        shown["gender"] = {"old": trainee.gender.value, "new": new["gender"]}
        trainee.gender = Gender(new["gender"])
    if "account" in new:
        shown["account"] = {"old": trainee.account, "new": new["account"]}
        trainee.account = new["account"]
    if "mobile" in new:
        old = mask_mobile(pii.cipher().decrypt(trainee.mobile_enc))
        shown["mobile"] = {"old": old, "new": mask_mobile(new["mobile"])}
        pii.set_mobile(trainee, new["mobile"])
    if "id_number" in new:
        old = mask_resident_id(pii.cipher().decrypt(trainee.id_number_enc))
        shown["id_number"] = {"old": old, "new": mask_resident_id(new["id_number"])}
        pii.set_id_number(trainee, new["id_number"])
    db.session.flush()
    audit.record(
        "trainee.edit",
        audit.admin(actor, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
        source=source,
        changes=shown,
        **({"reason": changes.reason.strip()[:500]} if "id_number" in new else {}),
    )
    return shown


def deactivate(actor: AdminUser, trainee: Trainee, *, client_address: str) -> bool:
    """Stop the trainee's account at once: tokens revoked, open sessions closed; figures stay."""
    if not trainee.active:
        return False
    trainee.active = False
    # Closed at the last accepted beat, so nothing after the deactivation is credited.
    sessions.close_open_sessions(
        SessionStatus.SUPERSEDED, epoch_s(now()), trainee_id=trainee.id, abandon_idle=True
    )
    # Revoked before the commit on purpose (as on unbind): a failed commit leaves the trainee
    # signed out of an active account, never signed in to a deactivated one.
    tokens.revoke_all(trainee.id)
    _audit("trainee.deactivated", actor, client_address, trainee)
    return True


def reactivate(actor: AdminUser, trainee: Trainee, *, client_address: str) -> bool:
    """Let a deactivated trainee sign in and learn again."""
    if trainee.active or trainee.erased_at is not None:
        return False
    trainee.active = True
    _audit("trainee.reactivated", actor, client_address, trainee)
    return True


def _audit(action: str, actor: AdminUser, client_address: str, trainee: Trainee) -> None:
    audit.record(
        action,
        audit.admin(actor, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
    )

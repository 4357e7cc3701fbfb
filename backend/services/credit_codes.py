"""Accepting a unified social credit code, with the operator-only checksum override."""

from __future__ import annotations

from backend import audit
from backend.errors import ApiError
from backend.extensions import db
from backend.models import AdminUser, Enterprise, Institution, Role
from backend.validation import InvalidValue, normalize_credit_code, validate_credit_code


def set_credit_code(
    holder: Enterprise | Institution,
    code: str,
    *,
    actor: AdminUser,
    override_reason: str | None = None,
) -> None:
    """Validate and set ``holder.credit_code``; a bad checksum needs an operator and a reason."""
    try:
        holder.credit_code = validate_credit_code(code)
        holder.credit_code_override_reason = None
        _refresh_city(holder)
        return
    except InvalidValue as exc:
        if exc.code != "credit_code_checksum":
            raise ApiError(422, exc.code, exc.message) from None
        if not (override_reason and override_reason.strip()):
            raise ApiError(
                422, exc.code, exc.message + "（平台运营人员可填写理由后接受）"
            ) from None
        if actor.role is not Role.OPERATOR:
            message = "只有平台运营人员可以接受校验位不符的代码"
            raise ApiError(403, "override_not_allowed", message) from None
    holder.credit_code = normalize_credit_code(code)
    holder.credit_code_override_reason = override_reason.strip()
    _refresh_city(holder)
    if holder.id is None:
        # A new enterprise or institution: the audit entry must name the row it accepted.
        db.session.add(holder)
        db.session.flush()
    audit.record(
        "credit_code.override",
        actor_kind="admin",
        actor_id=actor.id,
        object_type=type(holder).__tablename__,
        object_id=holder.id,
        enterprise_id=holder.id if isinstance(holder, Enterprise) else None,
        credit_code=holder.credit_code,
        reason=holder.credit_code_override_reason,
    )


def _refresh_city(holder: Enterprise | Institution) -> None:
    from backend.services.regions import refresh_city

    # The city follows the credit code's division code, unless an operator set it by hand.
    if isinstance(holder, Enterprise):
        refresh_city(holder)

"""Accepting a unified social credit code, with the operator-only checksum override."""

from __future__ import annotations

from backend import audit
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.permissions import Permission, can
from backend.models import AdminUser, Enterprise, Institution
from backend.validation import InvalidValue, normalize_credit_code, validate_credit_code

register("credit_code_format", 422, "统一社会信用代码格式不正确，应为18位")
register("credit_code_checksum", 422, "统一社会信用代码校验位不正确，请核对后重新输入")


def set_credit_code(
    holder: Enterprise | Institution,
    code: str,
    *,
    actor: AdminUser,
    client_address: str,
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
            raise DomainError(exc.code, exc.message) from None
        if not (override_reason and override_reason.strip()):
            message = exc.message + "（平台运营人员可填写理由后接受）"
            raise DomainError(exc.code, message) from None
        if not can(actor, Permission.OVERRIDE_CHECKSUM):
            message = "只有平台运营人员可以接受校验位不符的代码"
            raise DomainError("override_not_allowed", message) from None
    holder.credit_code = normalize_credit_code(code)
    holder.credit_code_override_reason = override_reason.strip()
    _refresh_city(holder)
    if holder.id is None:
        # A new enterprise or institution: the audit entry must name the row it accepted.
        db.session.add(holder)
        db.session.flush()
    audit.record(
        "credit_code.override",
        audit.admin(actor, client_address),
        object_type=type(holder).__tablename__,
        object_id=holder.id,
        enterprise_id=holder.id if isinstance(holder, Enterprise) else None,
        credit_code=holder.credit_code,
        reason=holder.credit_code_override_reason,
    )


def _refresh_city(holder: Enterprise | Institution) -> None:
    from backend.services.projects.regions import refresh_city

    # The city follows the credit code's division code, unless an operator set it by hand.
    if isinstance(holder, Enterprise):
        refresh_city(holder)

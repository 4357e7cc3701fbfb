"""Regions: an enterprise's prefecture-level city from its credit code, and who sees which.

Characters 3–8 of a unified social credit code (GB 32100-2015) are the administrative division
code (GB/T 2260) of the registering authority; its first four digits name the prefecture-level
city. Guangdong has 21 of them. A code whose division is the province itself, or outside it,
gives no city: an operator then sets one, with a reason.
"""

from __future__ import annotations

from backend import audit
from backend.kernel.errors import DomainError, register
from backend.models import AdminUser, Enterprise

# The first four digits of the division code -> (city code, name). The city code is those four
# digits, the form reviewers' bindings, API keys and policy files use.
CITIES: dict[str, str] = {
    "4401": "广州市",
    "4402": "韶关市",
    "4403": "深圳市",
    "4404": "珠海市",
    "4405": "汕头市",
    "4406": "佛山市",
    "4407": "江门市",
    "4408": "湛江市",
    "4409": "茂名市",
    "4412": "肇庆市",
    "4413": "惠州市",
    "4414": "梅州市",
    "4415": "汕尾市",
    "4416": "河源市",
    "4417": "阳江市",
    "4418": "清远市",
    "4419": "东莞市",
    "4420": "中山市",
    "4451": "潮州市",
    "4452": "揭阳市",
    "4453": "云浮市",
}

register("unknown_city", 422, "不是广东省的地级以上市代码")
register("city_override_reason_required", 422, "请填写人工指定所属地市的理由")


def division_code(credit_code: str) -> str:
    """The administrative division code inside a credit code (its characters 3–8)."""
    return (credit_code or "")[2:8]


def city_from_credit_code(credit_code: str) -> str | None:
    """The city code a credit code's division names, or None (province level, elsewhere)."""
    prefix = division_code(credit_code)[:4]
    return prefix if prefix in CITIES else None


def city_name(city_code: str | None) -> str:
    """A city's name, or 未确定 when there is none."""
    return CITIES.get(city_code or "", "未确定")


def refresh_city(enterprise: Enterprise) -> None:
    """Derive the enterprise's city from its credit code, unless an operator set it."""
    if enterprise.city_override_reason is None:
        enterprise.city_code = city_from_credit_code(enterprise.credit_code)


def override_city(
    enterprise: Enterprise, city_code: str | None, reason: str, actor, *, client_address: str
) -> None:
    """Set the enterprise's city by hand (``None``: back to the credit code's), audit-logged."""
    if city_code is not None and city_code not in CITIES:
        raise DomainError("unknown_city")
    reason = (reason or "").strip()
    if city_code is not None and not reason:
        raise DomainError("city_override_reason_required")
    before = enterprise.city_code
    enterprise.city_override_reason = reason if city_code is not None else None
    enterprise.city_code = city_code
    refresh_city(enterprise)
    audit.record(
        "enterprise.city_override",
        audit.admin(actor, client_address),
        object_type="enterprise",
        object_id=enterprise.id,
        enterprise_id=enterprise.id,
        before=before,
        after=enterprise.city_code,
        reason=reason or None,
    )


def reviewer_cities(actor: AdminUser) -> list[str] | None:
    """The cities an admin's view is bound to; None when bound to none (the whole province)."""
    cities = [c for c in (actor.cities or []) if c in CITIES]
    return cities or None


def set_reviewer_cities(
    reviewer: AdminUser, cities: list[str], actor: AdminUser, *, client_address: str
) -> None:
    """Bind a reviewer to cities (empty: the whole province), audit-logged."""
    unknown = [c for c in cities if c not in CITIES]
    if unknown:
        raise DomainError("unknown_city")
    reviewer.cities = sorted(set(cities)) or None
    audit.record(
        "admin.cities",
        audit.admin(actor, client_address),
        object_type="admin_user",
        object_id=reviewer.id,
        cities=reviewer.cities,
    )

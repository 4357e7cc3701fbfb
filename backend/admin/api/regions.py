"""Admin JSON API for regions and the supervision API's keys: an enterprise's city, reviewers'
cities, and issuing and revoking bureau keys."""

from __future__ import annotations

from datetime import datetime

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.api import RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import NotFoundError
from backend.kernel.permissions import Permission, can
from backend.kernel.scope import get_scoped
from backend.models import AdminUser, BureauApiKey, Enterprise
from backend.services.plain_text import optional_text, user_text
from backend.services.projects import regions
from backend.services.supervision import keys


class CityIn(RequestModel):
    """A city code of projects/regions.CITIES with a reason; null returns to the credit code's."""

    city_code: str | None = None
    reason: optional_text(500) = ""


class CityOut(ResponseModel):
    """An enterprise's city."""

    enterprise_id: int
    city_code: str | None
    city_name: str
    overridden: bool


class CitiesIn(RequestModel):
    """The cities a reviewer is bound to (empty: the whole province)."""

    cities: list[str]


class CitiesOut(ResponseModel):
    """A reviewer's cities."""

    admin_id: int
    cities: list[str]


class KeyIn(RequestModel):
    """A new bureau key: the bureau, its cities, whether it may read full ID numbers."""

    bureau: user_text(100)
    cities: list[str]
    full_numbers: bool = False


class KeyOut(ResponseModel):
    """A bureau key as listed (never its hash)."""

    id: int
    bureau: str
    key_prefix: str
    cities: list[str]
    full_numbers: bool
    created_at: datetime
    revoked_at: datetime | None


class IssuedKeyOut(KeyOut):
    """A key just issued: ``key`` is shown this once and never again."""

    key: str


class KeyListOut(ResponseModel):
    """Every bureau key."""

    keys: list[KeyOut]


def _city(enterprise: Enterprise) -> dict:
    return {
        "enterprise_id": enterprise.id,
        "city_code": enterprise.city_code,
        "city_name": regions.city_name(enterprise.city_code),
        "overridden": enterprise.city_override_reason is not None,
    }


@bp.put("/enterprises/<id:enterprise_id>/city")
@require_permission(Permission.OVERRIDE_REGION)
@endpoint(summary="人工指定企业所属地市（需填写理由）", body=CityIn, response=CityOut, auth=None)
def admin_enterprise_city(enterprise_id: int, body: CityIn):
    admin = current_admin()
    enterprise = get_scoped(Enterprise, enterprise_id, admin)
    regions.override_city(
        enterprise, body.city_code, body.reason, admin, client_address=client_address()
    )
    db.session.commit()
    return _city(enterprise)


@bp.put("/admins/<id:admin_id>/cities")
@require_permission(Permission.MANAGE_ADMINS)
@endpoint(summary="审核人员负责的地市", body=CitiesIn, response=CitiesOut, auth=None)
def admin_reviewer_cities(admin_id: int, body: CitiesIn):
    reviewer = db.session.get(AdminUser, admin_id)
    if reviewer is None or not can(reviewer, Permission.REVIEW_FILING):
        raise NotFoundError("没有这名审核人员")
    regions.set_reviewer_cities(
        reviewer, body.cities, current_admin(), client_address=client_address()
    )
    db.session.commit()
    return {"admin_id": reviewer.id, "cities": reviewer.cities or []}


@bp.get("/bureau-keys")
@require_permission(Permission.MANAGE_API_KEYS)
@endpoint(summary="监管平台 API 密钥列表", response=KeyListOut, auth=None)
def admin_bureau_keys():
    return {"keys": keys.list_keys()}


@bp.post("/bureau-keys")
@require_permission(Permission.MANAGE_API_KEYS)
@endpoint(
    summary="为人社部门签发监管平台 API 密钥（只显示一次）",
    body=KeyIn,
    response=IssuedKeyOut,
    status=201,
    auth=None,
)
def admin_issue_bureau_key(body: KeyIn):
    key, plain = keys.issue_key(
        body.bureau,
        body.cities,
        body.full_numbers,
        current_admin(),
        client_address=client_address(),
    )
    db.session.commit()
    return {**KeyOut.model_validate(key).model_dump(), "key": plain}


@bp.post("/bureau-keys/<id:key_id>/revoke")
@require_permission(Permission.MANAGE_API_KEYS)
@endpoint(summary="停用监管平台 API 密钥", response=KeyOut, auth=None)
def admin_revoke_bureau_key(key_id: int):
    key = db.session.get(BureauApiKey, key_id)
    if key is None:
        raise NotFoundError()
    keys.revoke_key(key, current_admin(), client_address=client_address())
    db.session.commit()
    return key

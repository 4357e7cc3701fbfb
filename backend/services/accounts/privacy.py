"""The privacy notice (PIPL): its current version, the trainee's consent, and erasure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import func, select

from backend import audit, pii
from backend.clock import now, today
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.models import ActivationCode, AdminUser, Enrolment, Project, Trainee
from backend.policy import default_policy
from backend.services.accounts import tokens

NOTICE_PATH = Path(__file__).resolve().parents[3] / "config" / "privacy" / "notice.json"

register("privacy_notice_required", 422, "请先阅读并同意最新的个人信息处理规则")
register("retention_not_over", 409, "个人信息保存期限未满（{until} 前不能删除）")
register("already_erased", 409, "该学员的个人信息已删除")


@dataclass(frozen=True)
class Notice:
    """The privacy notice the mini-program shows before the first bind."""

    version: str
    title: str
    text: str


@cache
def _load(path: Path) -> Notice:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Notice(version=data["version"], title=data["title"], text=data["text"])


def current_notice() -> Notice:
    """The notice in force now."""
    return _load(NOTICE_PATH)


def require_accepted(version: str | None) -> Notice:
    """The current notice, if ``version`` is it; else 422 privacy_notice_required."""
    notice = current_notice()
    if version != notice.version:
        raise DomainError("privacy_notice_required")
    return notice


def record_consent(trainee: Trainee, version: str) -> None:
    """Note which notice the trainee accepted, and when."""
    trainee.privacy_version = version
    trainee.privacy_accepted_at = now()


def retention_ends(trainee: Trainee) -> date:
    """The first day the person's data may be erased: the retention after their last project."""
    last_end = db.session.scalar(
        select(func.max(Project.end_date))
        .join(Enrolment, Enrolment.project_id == Project.id)
        .where(Enrolment.trainee_id == trainee.id)
    )
    start = last_end or trainee.created_at.date()
    return start + timedelta(days=default_policy().personal_data_retention_days + 1)


def erase(actor: AdminUser, trainee: Trainee, *, client_address: str) -> None:
    """Replace the person's data by tombstones; credited spans, sessions and figures stay."""
    if trainee.erased_at is not None:
        raise DomainError("already_erased")
    until = retention_ends(trainee)
    if today() < until:
        raise DomainError("retention_not_over", until=until.isoformat())
    tokens.revoke_all(trainee.id)
    tombstone = f"erased-{trainee.id}"
    trainee.name = "（已删除）"
    trainee.account = tombstone
    # Random-looking placeholders: the unique indexes hold and nothing matches a real number.
    trainee.id_number_enc = pii.cipher().encrypt("")
    trainee.id_number_hash = pii.blind_index(tombstone + ":id")
    trainee.mobile_enc = pii.cipher().encrypt("")
    trainee.mobile_hash = pii.blind_index(tombstone + ":mobile")
    trainee.wx_openid = None
    trainee.wx_unionid = None
    trainee.bound_at = None
    trainee.active = False
    trainee.erased_at = now()
    db.session.execute(
        ActivationCode.__table__.delete().where(ActivationCode.trainee_id == trainee.id)
    )
    audit.record(
        "trainee.erased",
        audit.admin(actor, client_address),
        object_type="trainee",
        object_id=trainee.id,
        enterprise_id=trainee.enterprise_id,
        retention_ended=until.isoformat(),
    )

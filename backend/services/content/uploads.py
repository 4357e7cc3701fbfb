"""Browser uploads straight to the bucket (S3 mode): a presigned form the server checks after."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from backend.extensions import redis_store
from backend.kernel.errors import DomainError, register
from backend.models import AdminUser, Course
from backend.services.content.probe import check_size
from backend.services.content.storage import S3Storage, media_storage
from backend.services.plain_text import stored_filename

register("upload_not_found", 404, "上传已过期或不存在，请重新上传文件")
register("direct_upload_unsupported", 409, "当前存储方式不支持浏览器直传，请直接上传文件")

UPLOAD_TTL_S = 3600
TTL = timedelta(seconds=UPLOAD_TTL_S)


@dataclass(frozen=True)
class PendingUpload:
    """An object the browser may put in the bucket, to become a lesson of ``course_id``."""

    upload_id: str
    key: str
    course_id: int
    admin_id: int
    filename: str


def _redis_key(upload_id: str) -> str:
    return redis_store.key("media-upload", upload_id)


def begin(course: Course, filename: str, size: int, actor: AdminUser) -> tuple[PendingUpload, dict]:
    """A presigned form for one file of at most ``MEDIA_MAX_BYTES``, bound to the admin."""
    storage = media_storage()
    if not isinstance(storage, S3Storage):
        raise DomainError("direct_upload_unsupported")
    # Checked again on the stored object: the browser's word is only a first filter.
    check_size(size, current_app.config["MEDIA_MAX_BYTES"])
    upload_id = uuid.uuid4().hex
    pending = PendingUpload(
        upload_id, f"pending/{upload_id}", course.id, actor.id, stored_filename(filename)
    )
    form = storage.presigned_post(pending.key, current_app.config["MEDIA_MAX_BYTES"], UPLOAD_TTL_S)
    redis_store.client.set(_redis_key(upload_id), json.dumps(vars(pending)), ex=UPLOAD_TTL_S)
    return pending, form


def take(upload_id: str, course: Course, actor: AdminUser) -> PendingUpload:
    """The pending upload for this course and admin, consumed (a second use is 404)."""
    raw = redis_store.client.getdel(_redis_key(upload_id))
    pending = PendingUpload(**json.loads(raw)) if raw else None
    if pending is None or pending.course_id != course.id or pending.admin_id != actor.id:
        raise DomainError("upload_not_found")
    return pending

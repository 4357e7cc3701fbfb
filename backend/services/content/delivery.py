"""Signed, expiring media URLs for enrolled trainees: the app's own (filesystem) or presigned."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flask import current_app, url_for

from backend.clock import now
from backend.kernel.errors import DomainError, register
from backend.models import Lesson
from backend.services.content.storage import FileStorage, S3Storage, media_storage

register("media_link_expired", 403, "播放链接已过期，请返回课节列表重新进入")


def _signature(key: str, expires: int) -> str:
    secret = hashlib.sha256(b"media-url:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


def signed_url(lesson: Lesson) -> tuple[str, datetime]:
    """A URL that plays the lesson's file until it expires (``MEDIA_URL_TTL_S``)."""
    ttl = current_app.config["MEDIA_URL_TTL_S"]
    storage = media_storage()
    if isinstance(storage, S3Storage):
        return storage.presigned_get(lesson.media_key, ttl, lesson.media_content_type)
    # Whole seconds, so that the expiry in the URL and in the answer are the same moment.
    expires = int(now().timestamp()) + ttl
    url = url_for(
        "media.serve",
        key=lesson.media_key,
        expires=expires,
        sig=_signature(lesson.media_key, expires),
        _external=True,
    )
    return url, datetime.fromtimestamp(expires, UTC)


def verified_path(key: str, expires: str, sig: str):
    """The local file of a signed URL, if the signature is right and it has not expired."""
    storage = media_storage()
    if not isinstance(storage, FileStorage) or not expires.isdigit():
        raise DomainError("not_found")
    if not hmac.compare_digest(_signature(key, int(expires)), sig):
        raise DomainError("not_found")
    if int(expires) < now().timestamp():
        raise DomainError("media_link_expired")
    path = storage.path(key)
    if not path.is_file():
        raise DomainError("not_found")
    return path

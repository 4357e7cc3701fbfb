"""Lessons and their files: checked on the server, stored, and never a row without its file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app

from backend import audit
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.models import AdminUser, Course, LearningSession, Lesson, LessonKind
from backend.services.content import probe
from backend.services.content.storage import MediaStorage, media_storage, new_key
from backend.services.plain_text import stored_filename

register("lesson_has_credit", 409, "课节「{title}」已有学习记录，不能更换文件；请停用后新建课节")
register("reading_time_required", 422, "文档课节请填写阅读时长（duration_s，秒）")
register("duration_not_settable", 422, "视频和音频的时长从文件读取，不能填写")

SUFFIXES = {
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-flv": ".flv",
    "audio/mp4": ".m4a",
    "audio/mpeg": ".mp3",
    "audio/aac": ".aac",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "application/pdf": ".pdf",
}


@dataclass(frozen=True)
class Upload:
    """A file to become a lesson's media: a local temporary file or an object already uploaded
    to the bucket by the browser (``pending_key``)."""

    filename: str
    fileobj: BinaryIO | None = None
    pending_key: str | None = None


@dataclass(frozen=True)
class StoredMedia:
    """A file checked and stored under ``key``."""

    key: str
    bytes: int
    content_type: str
    duration_s: int | None
    page_count: int | None
    filename: str


def _check(kind: LessonKind, upload: Upload, storage: MediaStorage) -> probe.Probed:
    limit = current_app.config["MEDIA_MAX_BYTES"]
    if upload.fileobj is not None:
        probe.check_size(_size(upload.fileobj), limit)
        upload.fileobj.seek(0)
        return probe.probe(kind, upload.fileobj)
    probe.check_size(storage.size(upload.pending_key), limit)
    with storage.open(upload.pending_key) as reader:
        return probe.probe(kind, reader)


def store(kind: LessonKind, upload: Upload) -> StoredMedia:
    """Check a file (size, type by magic bytes, duration or pages) and store it for good.

    A file that fails a check is not kept; the caller deletes the stored file if its row is
    not committed (``discard``).
    """
    storage = media_storage()
    try:
        checked = _check(kind, upload, storage)
    except DomainError:
        if upload.pending_key:
            storage.delete(upload.pending_key)
        raise
    key = new_key("lessons", SUFFIXES.get(checked.content_type, ""))
    if upload.fileobj is not None:
        size = _size(upload.fileobj)
        storage.put_file(key, upload.fileobj)
    else:
        storage.copy(upload.pending_key, key)
        storage.delete(upload.pending_key)
        size = storage.size(key) or 0
    return StoredMedia(
        key=key,
        bytes=size,
        content_type=checked.content_type,
        duration_s=checked.duration_s,
        page_count=checked.page_count,
        filename=stored_filename(upload.filename),
    )


def _size(fileobj: BinaryIO) -> int:
    return fileobj.seek(0, os.SEEK_END)


def discard(key: str | None) -> None:
    """Delete a stored file whose lesson row was not committed."""
    if key:
        media_storage().delete(key)


def _duration(kind: LessonKind, media: StoredMedia, duration_s: int | None) -> int:
    if kind is LessonKind.DOCUMENT:
        if not duration_s:
            raise DomainError("reading_time_required")
        return duration_s
    if duration_s is not None:
        raise DomainError("duration_not_settable")
    return media.duration_s


def _apply(lesson: Lesson, media: StoredMedia) -> None:
    lesson.media_key = media.key
    lesson.media_bytes = media.bytes
    lesson.media_content_type = media.content_type
    lesson.media_filename = media.filename
    lesson.page_count = media.page_count


def check_new(kind: LessonKind, duration_s: int | None) -> None:
    """Refuse a duration given for video or audio, or missing for a document, before storing."""
    if kind is LessonKind.DOCUMENT and not duration_s:
        raise DomainError("reading_time_required")
    if kind is not LessonKind.DOCUMENT and duration_s is not None:
        raise DomainError("duration_not_settable")


def add_lesson(
    course: Course,
    title: str,
    kind: LessonKind,
    media: StoredMedia,
    duration_s: int | None,
    actor: AdminUser,
    *,
    client_address: str,
) -> Lesson:
    """Add a lesson at the end of a course with its stored file (a course's first is #1)."""
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Lesson.position) + 1, 1)).where(
            Lesson.course_id == course.id
        )
    )
    lesson = Lesson(
        course=course,
        title=title.strip(),
        kind=kind,
        position=position,
        duration_s=_duration(kind, media, duration_s),
    )
    _apply(lesson, media)
    db.session.add(lesson)
    db.session.flush()
    _audit(
        "lesson.create",
        audit.admin(actor, client_address),
        lesson,
        course,
        kind=kind.value,
        bytes=media.bytes,
    )
    return lesson


def has_learning(lesson: Lesson) -> bool:
    """Whether anyone ever checked in to the lesson (then it is retired, never deleted)."""
    query = sa.select(LearningSession.id).where(LearningSession.lesson_id == lesson.id).limit(1)
    return db.session.scalar(query) is not None


def update_lesson(
    lesson: Lesson,
    *,
    title: str | None,
    position: int | None,
    duration_s: int | None,
    media: StoredMedia | None,
    actor: AdminUser,
    client_address: str,
) -> str | None:
    """Change a lesson's title, order, reading time or file; returns the replaced file's key."""
    if title is not None:
        lesson.title = title.strip()
    if position is not None:
        lesson.position = position
    if duration_s is not None:
        if lesson.kind is not LessonKind.DOCUMENT:
            raise DomainError("duration_not_settable")
        if has_learning(lesson):
            raise DomainError("lesson_has_credit", title=lesson.title)
        lesson.duration_s = duration_s
    replaced = None
    if media is not None:
        if has_learning(lesson):
            raise DomainError("lesson_has_credit", title=lesson.title)
        replaced = lesson.media_key or None
        if lesson.kind is not LessonKind.DOCUMENT:
            lesson.duration_s = media.duration_s
        _apply(lesson, media)
    db.session.flush()
    _audit(
        "lesson.update",
        audit.admin(actor, client_address),
        lesson,
        lesson.course,
        file_replaced=media is not None,
    )
    return replaced


def retire_or_delete(lesson: Lesson, actor: AdminUser, *, client_address: str) -> str | None:
    """Delete a lesson nobody learned (returns its file's key); retire one someone learned."""
    course = lesson.course
    if has_learning(lesson):
        lesson.retired = True
        _audit("lesson.retire", audit.admin(actor, client_address), lesson, course)
        return None
    key = lesson.media_key or None
    _audit("lesson.delete", audit.admin(actor, client_address), lesson, course, title=lesson.title)
    db.session.delete(lesson)
    db.session.flush()
    return key


def retire(lesson: Lesson, actor: AdminUser, *, client_address: str) -> None:
    """Retire a lesson: trainees no longer see it; its records stay."""
    lesson.retired = True
    _audit("lesson.retire", audit.admin(actor, client_address), lesson, lesson.course)


def _audit(action: str, actor: audit.Actor, lesson: Lesson, course: Course, **detail) -> None:
    audit.record(
        action,
        actor,
        object_type="lesson",
        object_id=lesson.id,
        enterprise_id=course.enterprise_id,
        course_id=course.id,
        **detail,
    )

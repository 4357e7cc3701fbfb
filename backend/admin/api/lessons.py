"""Admin JSON API of lessons: upload (multipart, or presigned to the bucket), change, retire."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import request

from backend.admin.api.blueprint import bp
from backend.admin.api.content_schemas import (
    LessonForm,
    LessonFromUploadIn,
    LessonOut,
    LessonPatch,
    LessonRemovedOut,
    UploadIn,
    UploadOut,
)
from backend.admin.api.courses import lesson_out
from backend.admin.auth import current_admin, require_permission
from backend.api import endpoint
from backend.caller import client_address
from backend.clock import now
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.media import media_upload as mark_media_upload
from backend.models import Course, Lesson
from backend.services.content import lessons, uploads

TAGS = ("content",)
register("upload_incomplete", 400, "上传未完成（连接中断或内容不完整），请重新上传文件")


def media_upload(view: Callable) -> Callable:
    """A view receiving a media file: a body up to ``MEDIA_MAX_BYTES`` (``backend.media``,
    a readable 413 above it), and a readable 400 for an upload cut short."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        # werkzeug drops a multipart body that ends early (a lost connection) without a word:
        # nothing parsed out of a non-empty body means the upload was cut off.
        multipart = request.mimetype.startswith("multipart/")
        if multipart and request.content_length and not (request.form or request.files):
            raise DomainError("upload_incomplete")
        return view(*args, **kwargs)

    return mark_media_upload(wrapper)


def _file_upload(required: bool) -> lessons.Upload | None:
    # werkzeug writes a file part to a temporary file on disk as it arrives, never in memory.
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        if required:
            raise DomainError("file_missing")
        return None
    return lessons.Upload(filename=upload.filename, fileobj=upload.stream)


def commit_or_discard(*keys: str | None) -> None:
    """Commit the lesson's row; if that fails, delete the file stored for it (no orphan)."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in keys:
            lessons.discard(key)
        raise


def _create(course: Course, form: LessonForm, upload: lessons.Upload) -> dict:
    admin = current_admin()
    lessons.check_new(form.kind, form.duration_s)
    media = lessons.store(form.kind, upload)
    try:
        lesson = lessons.add_lesson(
            course,
            form.title,
            form.kind,
            media,
            form.duration_s,
            admin,
            client_address=client_address(),
        )
    except Exception:
        db.session.rollback()
        lessons.discard(media.key)
        raise
    commit_or_discard(media.key)
    return lesson_out(lesson)


@bp.post("/courses/<id:course_id>/lessons")
@require_permission(Permission.MANAGE_CONTENT)
@media_upload
@endpoint(
    summary="上传课节（multipart：title、kind、file；文档另填 duration_s 阅读时长）",
    form=LessonForm,
    files=("file",),
    response=LessonOut,
    status=201,
    auth=None,
    tags=TAGS,
)
def create_lesson(course_id: int, form: LessonForm):
    course = get_scoped(Course, course_id, current_admin())
    return _create(course, form, _file_upload(required=True))


@bp.post("/courses/<id:course_id>/lesson-uploads")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(
    summary="浏览器直传对象存储：取得预签名表单（S3 模式）",
    body=UploadIn,
    response=UploadOut,
    status=201,
    auth=None,
    tags=TAGS,
)
def begin_upload(course_id: int, body: UploadIn):
    admin = current_admin()
    course = get_scoped(Course, course_id, admin)
    pending, form = uploads.begin(course, body.filename, body.bytes, admin)
    expires_at = now().replace(microsecond=0) + uploads.TTL
    return {
        "upload_id": pending.upload_id,
        "url": form["url"],
        "fields": form["fields"],
        "expires_at": expires_at,
    }


@bp.post("/courses/<id:course_id>/lessons/from-upload")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(
    summary="用已直传到对象存储的文件新建课节（服务器检查大小、类型与时长）",
    body=LessonFromUploadIn,
    response=LessonOut,
    status=201,
    auth=None,
    tags=TAGS,
)
def create_lesson_from_upload(course_id: int, body: LessonFromUploadIn):
    admin = current_admin()
    course = get_scoped(Course, course_id, admin)
    pending = uploads.take(body.upload_id, course, admin)
    upload = lessons.Upload(filename=pending.filename, pending_key=pending.key)
    return _create(course, body, upload)


@bp.patch("/lessons/<id:lesson_id>")
@require_permission(Permission.MANAGE_CONTENT)
@media_upload
@endpoint(
    summary="修改课节：标题、顺序、文档阅读时长，或更换文件（multipart 字段 file）",
    body=LessonPatch,
    form=LessonPatch,
    files=("file?",),
    response=LessonOut,
    auth=None,
    tags=TAGS,
)
def patch_lesson(lesson_id: int, body: LessonPatch | None = None, form=None):
    admin = current_admin()
    lesson = get_scoped(Lesson, lesson_id, admin)
    changes = body or form
    upload = _file_upload(required=False) if form is not None else None
    if upload is None and changes.upload_id:
        pending = uploads.take(changes.upload_id, lesson.course, admin)
        upload = lessons.Upload(filename=pending.filename, pending_key=pending.key)
    if upload is not None and lessons.has_learning(lesson):
        raise DomainError("lesson_has_credit", title=lesson.title)
    media = lessons.store(lesson.kind, upload) if upload is not None else None
    new_key = media.key if media else None
    try:
        replaced = lessons.update_lesson(
            lesson,
            title=changes.title,
            position=changes.position,
            duration_s=changes.duration_s,
            media=media,
            actor=admin,
            client_address=client_address(),
        )
    except Exception:
        db.session.rollback()
        lessons.discard(new_key)
        raise
    commit_or_discard(new_key)
    lessons.discard(replaced)
    return lesson_out(lesson)


@bp.post("/lessons/<id:lesson_id>/retire")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(
    summary="停用课节（学员不再看到；学习记录保留）", response=LessonOut, auth=None, tags=TAGS
)
def retire_lesson(lesson_id: int):
    admin = current_admin()
    lesson = get_scoped(Lesson, lesson_id, admin)
    lessons.retire(lesson, admin, client_address=client_address())
    db.session.commit()
    return lesson_out(lesson)


@bp.delete("/lessons/<id:lesson_id>")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(
    summary="删除课节（已有学习记录的课节改为停用）",
    response=LessonRemovedOut,
    auth=None,
    tags=TAGS,
)
def delete_lesson(lesson_id: int):
    admin = current_admin()
    lesson = get_scoped(Lesson, lesson_id, admin)
    key = lessons.retire_or_delete(lesson, admin, client_address=client_address())
    retired = key is None and lesson.retired
    db.session.commit()
    lessons.discard(key)
    return {"id": lesson_id, "deleted": not retired, "retired": retired}

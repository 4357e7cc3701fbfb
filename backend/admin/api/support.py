"""Admin JSON API for online support: enterprise and platform admins answer trainees."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.api import RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.models import SupportThread, Trainee
from backend.services.plain_text import user_text
from backend.services.support import notice as support_notice
from backend.services.support import threads as support


class MessageOut(ResponseModel):
    """A message, text as written (pages escape it; JSON carries it as data)."""

    id: int
    author_kind: str
    admin_user_id: int | None
    body: str
    created_at: datetime
    notify_status: str | None = None


class ThreadOut(ResponseModel):
    """A thread with its messages."""

    id: int
    enterprise_id: int
    trainee_id: int
    trainee_name: str
    subject: str
    status: str
    created_at: datetime
    updated_at: datetime
    messages: list[MessageOut]


class ThreadListOut(ResponseModel):
    """Threads the admin may see."""

    threads: list[ThreadOut]


class ThreadQuery(BaseModel):
    """Filter by status; 50 threads a page."""

    status: Literal["open", "answered", "closed"] | None = None
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


class ReplyIn(RequestModel):
    """An admin's answer."""

    body: user_text(2000)


def thread_out(thread: SupportThread) -> ThreadOut:
    """A thread as the admin API returns it."""
    trainee = db.session.get(Trainee, thread.trainee_id)
    return ThreadOut(
        id=thread.id,
        enterprise_id=thread.enterprise_id,
        trainee_id=thread.trainee_id,
        trainee_name=trainee.name if trainee else "",
        subject=thread.subject,
        status=thread.status,
        created_at=thread.created_at,
        updated_at=thread.updated_at,
        messages=[MessageOut.model_validate(m) for m in support.messages(thread)],
    )


@bp.get("/support/threads")
@require_permission(Permission.VIEW_SUPPORT)
@endpoint(summary="学员问题列表", query=ThreadQuery, response=ThreadListOut, auth=None)
def admin_support_threads(query: ThreadQuery):
    threads = support.admin_threads(current_admin(), query.status, query.page)
    return ThreadListOut(threads=[thread_out(t) for t in threads])


@bp.get("/support/threads/<id:thread_id>")
@require_permission(Permission.VIEW_SUPPORT)
@endpoint(summary="查看学员问题", response=ThreadOut, auth=None)
def admin_support_thread(thread_id: int):
    return thread_out(support.thread_for_admin(current_admin(), thread_id))


@bp.post("/support/threads/<id:thread_id>/messages")
@require_permission(Permission.ANSWER_SUPPORT)
@endpoint(summary="回复学员", body=ReplyIn, response=ThreadOut, status=201, auth=None)
def admin_support_reply(thread_id: int, body: ReplyIn):
    admin = current_admin()
    thread = support.thread_for_admin(admin, thread_id, lock=True)
    message = support.admin_reply(admin, thread, body.body, client_address=client_address())
    db.session.commit()  # the reply is safe before WeChat is asked to tell the trainee
    support_notice.send_reply_notice(message)
    db.session.commit()
    return thread_out(thread)


@bp.post("/support/threads/<id:thread_id>/close")
@require_permission(Permission.ANSWER_SUPPORT)
@endpoint(summary="关闭问题", response=ThreadOut, auth=None)
def admin_support_close(thread_id: int):
    admin = current_admin()
    thread = support.thread_for_admin(admin, thread_id, lock=True)
    support.close_thread(admin, thread, client_address=client_address())
    out = thread_out(thread)
    db.session.commit()
    return out

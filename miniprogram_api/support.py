"""Online support (在线支持服务): a trainee's own question threads."""

from __future__ import annotations

from datetime import datetime

from flask import g

from backend.api import RequestModel, ResponseModel, endpoint
from backend.extensions import db
from backend.services.plain_text import user_text
from backend.services.support import threads as support
from miniprogram_api.blueprint import bp

MAX_SUBJECT = 100
MAX_BODY = 1000


class SupportMessageOut(ResponseModel):
    """A message; text exactly as written (clients render it as text, never as markup)."""

    id: int
    author_kind: str
    body: str
    created_at: datetime


class SupportThreadOut(ResponseModel):
    """A thread with its messages."""

    id: int
    subject: str
    status: str
    created_at: datetime
    updated_at: datetime
    messages: list[SupportMessageOut]


class SupportThreadListOut(ResponseModel):
    """The trainee's threads."""

    threads: list[SupportThreadOut]


class ThreadIn(RequestModel):
    """A new question."""

    subject: user_text(MAX_SUBJECT)
    body: user_text(MAX_BODY)


class MessageIn(RequestModel):
    """A follow-up message."""

    body: user_text(MAX_BODY)


def thread_out(thread) -> SupportThreadOut:
    """A thread and its messages as the API returns them."""
    return SupportThreadOut(
        id=thread.id,
        subject=thread.subject,
        status=thread.status,
        created_at=thread.created_at,
        updated_at=thread.updated_at,
        messages=[SupportMessageOut.model_validate(m) for m in support.messages(thread)],
    )


@bp.post("/support/threads")
@endpoint(
    summary="提交问题", body=ThreadIn, response=SupportThreadOut, status=201, tags=("support",)
)
def create_thread(body: ThreadIn):
    thread = support.create_thread(g.trainee, body.subject, body.body)
    out = thread_out(thread)
    db.session.commit()
    return out


@bp.get("/support/threads")
@endpoint(summary="我的问题", response=SupportThreadListOut, tags=("support",))
def list_threads():
    threads = support.trainee_threads(g.trainee)
    return SupportThreadListOut(threads=[thread_out(t) for t in threads])


@bp.get("/support/threads/<id:thread_id>")
@endpoint(summary="查看问题", response=SupportThreadOut, tags=("support",))
def get_thread(thread_id: int):
    return thread_out(support.thread_for_trainee(g.trainee, thread_id))


@bp.post("/support/threads/<id:thread_id>/messages")
@endpoint(
    summary="继续留言", body=MessageIn, response=SupportThreadOut, status=201, tags=("support",)
)
def add_message(thread_id: int, body: MessageIn):
    thread = support.thread_for_trainee(g.trainee, thread_id, lock=True)
    support.trainee_reply(thread, body.body)
    out = thread_out(thread)
    db.session.commit()
    return out

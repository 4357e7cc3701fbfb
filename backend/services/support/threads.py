"""Online support (在线支持服务): trainee threads, answered by the enterprise or the platform."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend import audit, clock
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.scope import get_for_trainee, get_scoped, scope_query
from backend.models import AdminUser, Enrolment, SupportMessage, SupportThread, Trainee

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
# Enough for any real question; a client stuck in a loop stops here instead of filling the table.
THREADS_PER_DAY = 20
MESSAGES_PER_THREAD = 200
TRAINEE_LIST_LIMIT = 50
ADMIN_PAGE_SIZE = 50


def create_thread(trainee: Trainee, subject: str, body: str) -> SupportThread:
    """Open a thread with its first message."""
    since = clock.now() - timedelta(days=1)
    recent = db.session.scalar(
        select(func.count(SupportThread.id)).where(
            SupportThread.trainee_id == trainee.id, SupportThread.created_at >= since
        )
    )
    if recent >= THREADS_PER_DAY:
        raise DomainError("too_many_threads")
    now = clock.now()
    thread = SupportThread(
        enterprise_id=trainee.enterprise_id,
        trainee_id=trainee.id,
        subject=subject,
        status=OPEN,
        created_at=now,
        updated_at=now,
    )
    db.session.add(thread)
    db.session.flush()
    _add_message(thread, "trainee", None, body)
    return thread


def trainee_threads(trainee: Trainee) -> list[SupportThread]:
    """The trainee's own threads, the most recently active first (at most 50)."""
    query = (
        select(SupportThread)
        .where(SupportThread.trainee_id == trainee.id)
        .order_by(SupportThread.updated_at.desc(), SupportThread.id.desc())
        .limit(TRAINEE_LIST_LIMIT)
    )
    return list(db.session.scalars(query))


def thread_for_trainee(trainee: Trainee, thread_id: int, *, lock: bool = False) -> SupportThread:
    """One of the trainee's own threads; anyone else's is 404."""
    return get_for_trainee(SupportThread, thread_id, trainee, lock=lock, message="问题不存在")


def trainee_reply(thread: SupportThread, body: str) -> SupportMessage:
    """The trainee adds to their thread, which reopens it for the admins."""
    if thread.status == CLOSED:
        raise DomainError("thread_closed")
    message = _add_message(thread, "trainee", None, body)
    thread.status = OPEN
    return message


def _admin_query(admin: AdminUser, status: str | None, project_id: int | None):
    query = scope_query(select(SupportThread), SupportThread, admin)
    if status:
        query = query.where(SupportThread.status == status)
    if project_id is not None:
        # A thread belongs to the trainee, so it shows under every project they are enrolled in.
        enrolled = select(Enrolment.trainee_id).where(Enrolment.project_id == project_id)
        query = query.where(SupportThread.trainee_id.in_(enrolled))
    return query


def admin_threads(
    admin: AdminUser, status: str | None = None, page: int = 1, project_id: int | None = None
) -> list[SupportThread]:
    """One page of the threads the admin may see, the most recently active first."""
    query = _admin_query(admin, status, project_id)
    query = query.order_by(SupportThread.updated_at.desc(), SupportThread.id.desc())
    query = query.offset((page - 1) * ADMIN_PAGE_SIZE).limit(ADMIN_PAGE_SIZE)
    return list(db.session.scalars(query))


def admin_thread_count(
    admin: AdminUser, status: str | None = None, project_id: int | None = None
) -> int:
    """How many threads ``admin_threads`` would list over all its pages."""
    query = _admin_query(admin, status, project_id).with_only_columns(func.count(SupportThread.id))
    return db.session.scalar(query.order_by(None))


def awaiting_reply(admin: AdminUser) -> int:
    """Threads the admin may see whose last word is the trainee's (the navigation's badge)."""
    return admin_thread_count(admin, OPEN)


def thread_for_admin(admin: AdminUser, thread_id: int, *, lock: bool = False) -> SupportThread:
    """A thread of an enterprise the admin may see, else 404."""
    return get_scoped(SupportThread, thread_id, admin, lock=lock, message="问题不存在")


def admin_reply(
    admin: AdminUser, thread: SupportThread, body: str, *, client_address: str
) -> SupportMessage:
    """An admin answers a thread."""
    if thread.status == CLOSED:
        raise DomainError("thread_closed", "该问题已关闭")
    message = _add_message(thread, "admin", admin.id, body)
    # Sent after the reply is committed (support_notice.py): a failed send never loses it.
    message.notify_status = "pending"
    thread.status = ANSWERED
    audit.record(
        "support.reply",
        audit.admin(admin, client_address),
        object_type="support_thread",
        object_id=thread.id,
        enterprise_id=thread.enterprise_id,
    )
    return message


def close_thread(admin: AdminUser, thread: SupportThread, *, client_address: str) -> None:
    """Close a thread; the trainee can open a new one."""
    thread.status = CLOSED
    thread.updated_at = clock.now()
    audit.record(
        "support.close",
        audit.admin(admin, client_address),
        object_type="support_thread",
        object_id=thread.id,
        enterprise_id=thread.enterprise_id,
    )


def messages(thread: SupportThread) -> list[SupportMessage]:
    """A thread's messages, oldest first."""
    query = (
        select(SupportMessage)
        .where(SupportMessage.thread_id == thread.id)
        .order_by(SupportMessage.created_at, SupportMessage.id)
    )
    return list(db.session.scalars(query))


def _add_message(
    thread: SupportThread, author_kind: str, admin_id: int | None, body: str
) -> SupportMessage:
    count = db.session.scalar(
        select(func.count(SupportMessage.id)).where(SupportMessage.thread_id == thread.id)
    )
    if count >= MESSAGES_PER_THREAD:
        raise DomainError("thread_full")
    now = clock.now()
    message = SupportMessage(
        thread_id=thread.id,
        author_kind=author_kind,
        admin_user_id=admin_id,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    thread.updated_at = now
    db.session.flush()
    return message

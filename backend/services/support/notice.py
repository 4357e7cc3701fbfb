"""Telling a trainee of a support reply through a WeChat subscribe message (subscribeMessage.send).

The reply is committed before anything is sent: a failed send leaves the message marked
``failed`` for ``retry_failed_notices`` and never loses the reply itself.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from backend import clock
from backend.clock import LOCAL_TZ
from backend.extensions import db
from backend.models import SupportMessage, SupportThread, Trainee
from backend.services.accounts.wechat_calls import gateway
from backend.wechat import WeChatError, WeChatUnavailable

PENDING, SENT, FAILED, SKIPPED, REFUSED = "pending", "sent", "failed", "skipped", "refused"
MAX_ATTEMPTS = 5
# WeChat: the user has not (or no longer) accepted this template's messages; retrying is useless.
USER_REFUSED = 43101
THING_MAX = 20  # a "thing" keyword holds at most 20 characters
STATUS_NAMES = {
    PENDING: "待发送",
    SENT: "已通过微信通知学员",
    FAILED: "微信通知发送失败，稍后重试",
    SKIPPED: "学员未绑定微信，未发送通知",
    REFUSED: "学员未订阅回复通知",
}


def _thing(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= THING_MAX else text[: THING_MAX - 1] + "…"


def notice_data(thread: SupportThread, message: SupportMessage) -> dict:
    """The template keywords of a reply notice."""
    return {
        "thing1": {"value": _thing(thread.subject)},
        "thing2": {"value": _thing(message.body)},
        "time3": {"value": message.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")},
    }


def send_reply_notice(message: SupportMessage) -> str:
    """Try to send the notice of one admin reply; record and return its status."""
    thread = db.session.get(SupportThread, message.thread_id)
    trainee = db.session.get(Trainee, thread.trainee_id)
    template = current_app.config.get("WECHAT_SUPPORT_REPLY_TEMPLATE")
    if not template or trainee is None or not trainee.wx_openid:
        message.notify_status = SKIPPED
        return SKIPPED
    message.notify_attempts += 1
    try:
        gateway().send_subscribe_message(
            trainee.wx_openid,
            template,
            notice_data(thread, message),
            page=f"pages/support/thread?id={thread.id}",
        )
    except WeChatUnavailable:
        message.notify_status = FAILED
    except WeChatError as exc:
        message.notify_status = REFUSED if exc.errcode == USER_REFUSED else FAILED
    else:
        message.notify_status = SENT
        message.notified_at = clock.now()
    return message.notify_status


def retry_failed_notices(limit: int = 100) -> int:
    """Send again the notices that failed (up to MAX_ATTEMPTS each); returns how many were sent."""
    query = (
        select(SupportMessage)
        .where(
            SupportMessage.notify_status.in_([PENDING, FAILED]),
            SupportMessage.notify_attempts < MAX_ATTEMPTS,
        )
        .order_by(SupportMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return sum(send_reply_notice(m) == SENT for m in list(db.session.scalars(query)))

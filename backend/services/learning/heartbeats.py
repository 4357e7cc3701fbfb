"""Heartbeats: the hot path. A beat is one Redis script call; its credit reaches the database
through the drain (backend/drainer.py), never from the request."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Protocol

from backend.clock import now
from backend.extensions import db
from backend.kernel.errors import DomainError, NotFoundError, register
from backend.models import FaceCheckTrigger, LearningSession, SessionStatus
from backend.services.accounts import trainee_auth
from backend.services.learning import attention, face_checks, sessions
from backend.services.learning.live import LiveReply, beat_call, epoch_s, run_beat

BATCH_ERRORS = {
    "batch_seq_not_increasing": (422, "离线心跳的序号必须严格递增，本批未计时"),
    "batch_clock_skew": (
        422,
        "离线心跳的时间不在本次学习的签到与现在之间（设备时钟偏差过大），本批未计时",
    ),
    "batch_too_late": (409, "离线心跳上传太晚（距上次心跳超过允许的时长），本批未计时"),
}
for _code, (_status, _message) in BATCH_ERRORS.items():
    register(_code, _status, _message)
_CLOSED = {status.value for status in SessionStatus if status is not SessionStatus.ACTIVE}


class Beat(Protocol):
    """One beat as the client sent it."""

    seq: int
    client_ts: int
    position_s: int
    playing: bool


@dataclass(frozen=True)
class BeatResult:
    """The answer to a beat or a batch."""

    credited_s: int  # the session's credited seconds so far
    acked_seq: int  # the highest sequence number the server has accepted
    challenge: dict | None = None  # an open attention check to show
    face_check: dict | None = None  # an open face check to pass
    notice: dict | None = None  # why time has stopped counting, if it has


@dataclass(frozen=True)
class BeatCall:
    """A beat or batch ready for its one Redis call (``live.beat_call``'s keys and arguments),
    and what ``finish`` needs of it afterwards."""

    token: str
    session_id: int
    now_s: int
    keys: list[str]
    args: list[object]


def receive(
    token: str,
    session_id: int,
    beats: list[Beat],
    *,
    buffered: bool = False,
    answer: tuple[int, str] | None = None,
) -> BeatResult:
    """Apply a live beat or an offline batch for the holder of ``token`` (one Redis call)."""
    call = prepare(token, session_id, beats, buffered=buffered, answer=answer)
    return finish(call, run_beat(call.keys, call.args))


def prepare(
    token: str,
    session_id: int,
    beats: list[Beat],
    *,
    buffered: bool = False,
    answer: tuple[int, str] | None = None,
) -> BeatCall:
    """The Redis call that applies these beats (``receive`` makes it; the event loop of
    backend/rsgi_bridge.py sends it itself, ``live.run_on_loop``, then calls ``finish``)."""
    # A live beat's time is the server's; buffered beats are mapped through the check-in
    # offset. The token is checked by the same script call, which also settles an answer to
    # the open attention check first and opens the next one when it is due.
    now_s = epoch_s(now())
    if buffered:
        rows = [(b.seq, b.client_ts, b.position_s, b.playing) for b in beats]
    else:
        rows = [(b.seq, now_s, b.position_s, b.playing) for b in beats]
    kind = "batch" if buffered else "live"
    factor = random.uniform(0.5, 1.5)
    settle = attention.answer_forms(*answer) if answer is not None else None
    keys, args = beat_call(session_id, token, now_s, kind, rows, factor=factor, answer=settle)
    return BeatCall(token, session_id, now_s, keys, args)


def finish_waits(reply: LiveReply) -> bool:
    """Whether ``finish`` on this reply may wait on the database or WeChat (a refusal, a lost
    session, a check or face check to issue or expire); an ordinary beat's does not."""
    return reply.r != "ok" or bool(reply.due or reply.fdue or reply.fexpired)


def finish(call: BeatCall, reply: LiveReply) -> BeatResult:
    """What the script's ``reply`` to ``call`` means: the answer, a check or face check issued
    when one is due, the session rebuilt if Redis lost it; raises when refused."""
    token, session_id, now_s = call.token, call.session_id, call.now_s
    if reply.r == "missing":
        # Redis lost the session: rebuilt where the database has it, the beats apply as usual.
        _rebuild(token, session_id, now_s)
        reply = run_beat(call.keys, call.args)
    if reply.r != "ok":
        return _refused(reply, token)
    trainee_id = reply.tr
    challenge = json.loads(reply.chk) if reply.chk else None
    if reply.due:
        # The session's prepared checks ran out: this one is issued through the database.
        challenge = attention.issue(session_id, trainee_id, now_s) or challenge
    face_check, notice = _face_check(reply, session_id, now_s)
    if reply.capped:
        notice = DAILY_CAP_NOTICE
    return BeatResult(reply.cred, reply.seq, challenge, face_check, notice)


DAILY_CAP_NOTICE = {
    "code": "daily_cap_reached",
    "message": "今日有效学时已达每日上限，今天继续学习不再计入有效学时",
}


def _face_check(reply: LiveReply, session_id: int, now_s: int) -> tuple[dict | None, dict | None]:
    """The open face check to show, issuing one when due, and why the last one failed."""
    notice = None
    if reply.fexpired:
        face_checks.expire(reply.fexpired, now_s)
        notice = {"code": "face_check_expired", "message": face_checks.EXPIRED_REASON}
    if reply.fdue:
        trigger = FaceCheckTrigger.RETRY if reply.fexpired else FaceCheckTrigger.RANDOM
        return face_checks.issue(session_id, trigger, now_s), notice
    if reply.fid:
        open_check = {"id": reply.fid, "verify_id": reply.fvid, "expires_in": reply.fexp - now_s}
        return open_check, notice
    return None, notice


def _trainee_of(token: str) -> int:
    # 401 for a lapsed token, 403 account_disabled once an admin has deactivated the trainee.
    return trainee_auth.trainee_for_token(token).id


def _refused(reply: LiveReply, token: str) -> BeatResult:
    if reply.r == "unauthorized":
        _trainee_of(token)  # raises 401 when the token is not live
    if reply.r in BATCH_ERRORS:
        raise DomainError(reply.r)
    if reply.r == "not_found":
        raise NotFoundError("学习会话不存在")
    if reply.r in _CLOSED:
        raise sessions.closed_error(SessionStatus(reply.r))
    raise RuntimeError(f"live session script answered {reply.r!r}")


def _rebuild(token: str, session_id: int, now_s: int) -> None:
    trainee_id = _trainee_of(token)
    session = db.session.get(LearningSession, session_id)
    if session is None or session.trainee_id != trainee_id:
        raise NotFoundError("学习会话不存在")
    if session.status is not SessionStatus.ACTIVE:
        raise sessions.closed_error(session.status)
    sessions.resume_live(session, now_s)

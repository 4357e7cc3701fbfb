"""Check-in, check-out and the sweep: where live session state meets the database."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from backend.clock import LOCAL_TZ, now, today
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.lifecycle import Activity, ensure
from backend.kernel.scope import enrolment_for, get_for_trainee
from backend.models import (
    CreditedSpan,
    FaceCheck,
    FaceCheckTrigger,
    LearningSession,
    Lesson,
    Project,
    SessionStatus,
    Trainee,
)
from backend.policy import get_policy, policy_for
from backend.services.content import catalog
from backend.services.hours import project_window
from backend.services.learning import attention, face_checks, live, sequence
from backend.services.learning.live import LiveReply, at_second, epoch_s
from backend.services.learning.progress import (
    completion_threshold_s,
    credited_until_s,
    live_lesson_credit_s,
)

CLOSED_ERRORS = {
    SessionStatus.ENDED: ("session_ended", "本次学习已结束，请重新进入课节"),
    SessionStatus.SUPERSEDED: ("session_superseded", "你已在其他设备上开始学习，本次学习已停止"),
    SessionStatus.ABANDONED: ("session_abandoned", "学习中断过久，本次学习已关闭，请重新进入"),
    SessionStatus.PROJECT_CLOSED: ("project_closed", "培训项目已结束，不能再学习"),
}


for _code, _message in CLOSED_ERRORS.values():
    register(_code, 409, _message)


def closed_error(status: SessionStatus) -> DomainError:
    """The 409 for a beat or check-out of a session that is no longer open."""
    code, message = CLOSED_ERRORS[status]
    return DomainError(code, message)


@dataclass(frozen=True)
class CheckIn:
    """A new session and how the client should beat."""

    session_id: int
    heartbeat_interval_s: int
    server_ts: int  # epoch milliseconds
    face_check: dict | None = None  # a face check to pass before any time counts


def start_live(
    session: LearningSession,
    now_s: int,
    *,
    rebuild: bool = False,
    last_s: int | None = None,
    seq: int = 0,
    playing: bool = True,
    position_s: int | None = None,
    face_check: FaceCheck | None = None,
) -> LiveReply:
    """Write a session's live state from the database (at check-in, or after Redis lost it)."""
    # last_s: the accepted beat the next one continues from (default: this moment).
    tz = int(now().astimezone(LOCAL_TZ).utcoffset().total_seconds())
    lesson = db.session.get(Lesson, session.lesson_id)
    project = db.session.get(Project, session.project_id)
    policy = policy_for(project)
    window_start, window_end = project_window(project)
    # After a loss Redis holds none of the other sessions: the database alone is then the truth.
    remaining = lesson.duration_s - live_lesson_credit_s(session.trainee_id, lesson.id)
    check_fields, checks = attention.prepare(project, lesson.course_id, remaining)
    return live.create(
        session.id,
        session.trainee_id,
        now_s,
        watermark_s=credited_until_s(session.trainee_id),
        rebuild=rebuild,
        checks=checks,
        id=session.id,
        dev=session.device,
        pj=project.id,
        ls=lesson.id,
        st=SessionStatus.ACTIVE.value,
        t0=epoch_s(session.started_at),
        off=session.client_offset_ms,
        **{"from": epoch_s(window_start), "until": epoch_s(window_end)},
        tz=tz,
        # Never further back than an offline batch may reach, so a batch is not refused as late.
        last=now_s if last_s is None else max(min(last_s, now_s), now_s - policy.offline_window_s),
        seq=max(seq, session.last_seq),
        play=playing,
        pos=session.last_position_s if position_s is None else position_s,
        cred=session.credited_s,
        rem=max(remaining, 0),
        gap=policy.max_gap_s,
        tol=policy.offline_offset_tolerance_s,
        win=policy.offline_window_s,
        cs="none",
        cnext=attention.next_check_s(check_fields["cint"], now_s),
        cid=0,
        cexp=0,
        cjson="",
        cclaim=0,
        **check_fields,
        ended=0,
        **face_checks.live_fields(session.id, project, now_s, face_check, rebuild),
        cap=policy.daily_credit_cap_s,
        dday=(now_s + tz) // 86400,
        dused=credited_on_day_s(session.trainee_id, now_s, tz),
    )


def resume_live(session: LearningSession, now_s: int) -> None:
    """Rebuild the live state Redis lost of an open session from its last durable point."""
    # The drain wrote the session's state after its last drained beat (time, seq, playing,
    # position), so the next beat continues from there by the usual rules: credit lost with
    # Redis is earned again when that beat comes within the allowed gap, and a span of it the
    # drain writes late is clipped to what is not stored (credit_drain.write_spans). Time since
    # an unanswered attention check was issued stays forfeited; an open face check is expired
    # and a new one claimed by that beat (face_checks.live_fields), so the time waits for it.
    last_s = epoch_s(session.last_beat_at)
    if attention.expire_open_checks(session.id) is not None:
        last_s = now_s  # forfeited, as when a check expires: nothing up to now is credited
    start_live(
        session,
        now_s,
        rebuild=True,
        last_s=last_s,
        seq=session.last_seq,
        playing=session.last_playing,
        position_s=session.last_position_s,
    )


def credited_on_day_s(trainee_id: int, now_s: int, tz: int) -> int:
    """Seconds credited to a trainee so far on the China-time day of ``now_s`` (all projects)."""
    day_start = (now_s + tz) // 86400 * 86400 - tz
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CreditedSpan.seconds), 0)).where(
            CreditedSpan.trainee_id == trainee_id,
            CreditedSpan.start_at >= at_second(day_start),
            CreditedSpan.start_at < at_second(day_start + 86400),
        )
    )
    return int(total)


LESSON_NOT_FOUND = "未找到你参加的培训项目中的该课节"


def check_in(
    trainee: Trainee,
    lesson_id: int,
    client_ts: int,
    device: str,
    project_id: int | None = None,
    *,
    device_id: str = "",
) -> CheckIn:
    """Open a session on a lesson (the first beat, playing); close the trainee's other session."""
    lesson, project = catalog.lesson_for_trainee(
        trainee, lesson_id, project_id, message=LESSON_NOT_FOUND
    )
    enrolment_for(trainee, project.id, message=LESSON_NOT_FOUND, active=True)
    # Only filed training can become subsidy: no credit for drafts, returned or closed ones.
    ensure(project, Activity.LEARN)
    if not project.start_date <= today() <= project.end_date:
        raise DomainError("project_not_in_progress")
    sequence.ensure_unlocked(trainee.id, project, lesson)
    # One check-in of a trainee at a time, so two devices cannot both end up open.
    db.session.execute(sa.select(Trainee.id).where(Trainee.id == trainee.id).with_for_update())
    at = now()
    now_s = epoch_s(at)
    close_open_sessions(SessionStatus.SUPERSEDED, now_s, trainee_id=trainee.id, abandon_idle=True)
    previous = db.session.scalar(
        sa.select(LearningSession.last_position_s)
        .where(LearningSession.trainee_id == trainee.id, LearningSession.lesson_id == lesson.id)
        .order_by(LearningSession.id.desc())
        .limit(1)
    )
    session = LearningSession(
        trainee_id=trainee.id,
        project_id=project.id,
        lesson_id=lesson.id,
        device=device,
        device_id=device_id,
        started_at=at_second(now_s),
        client_offset_ms=int(at.timestamp() * 1000) - client_ts,
        last_beat_at=at_second(now_s),
        last_seq=0,
        last_playing=True,
        last_position_s=previous or 0,
        status=SessionStatus.ACTIVE,
        credited_s=0,
    )
    db.session.add(session)
    db.session.flush()
    check = None
    if face_checks.due_at_check_in(trainee.id, project, at):
        check = face_checks.start(session, FaceCheckTrigger.CHECK_IN, now_s)
    start_live(session, now_s, face_check=check)
    return CheckIn(
        session.id,
        policy_for(project).heartbeat_interval_s,
        int(at.timestamp() * 1000),
        face_checks.payload(check, now_s) if check is not None else None,
    )


def close_open_sessions(
    status: SessionStatus,
    now_s: int,
    *,
    trainee_id: int | None = None,
    project_id: int | None = None,
    abandon_idle: bool = False,
) -> int:
    """Close the open sessions of a trainee, of a project, or of a trainee in a project, at
    their last accepted beat, with ``status``; returns how many.

    With ``abandon_idle``, a session idle past its offline window ends ``abandoned`` instead: no
    beat could have earned credit since. Never the tail: time since the last accepted beat is
    not credit (nothing proves it)."""
    query = sa.select(LearningSession).where(LearningSession.status == SessionStatus.ACTIVE)
    if trainee_id is not None:
        query = query.where(LearningSession.trainee_id == trainee_id)
    if project_id is not None:
        query = query.where(LearningSession.project_id == project_id)
    open_sessions = db.session.scalars(query.order_by(LearningSession.id).with_for_update()).all()
    for session in open_sessions:
        if abandon_idle:
            cutoff_s = now_s - _offline_window_s(session)
            if close(session, SessionStatus.ABANDONED, now_s, cutoff_s=cutoff_s).r != "alive":
                continue
        close(session, status, now_s)
    return len(open_sessions)


def _offline_window_s(session: LearningSession) -> int:
    return policy_for(db.session.get(Project, session.project_id)).offline_window_s


def _shortest_offline_window_s() -> int:
    # The sweep selects by the shortest window in use, then checks each session's own.
    ids = db.session.scalars(
        sa.select(Project.policy_id)
        .where(
            Project.id.in_(
                sa.select(LearningSession.project_id).where(
                    LearningSession.status == SessionStatus.ACTIVE
                )
            )
        )
        .distinct()
    ).all()
    return min((get_policy(policy_id).offline_window_s for policy_id in ids), default=0)


def _apply_state(session: LearningSession, reply: LiveReply) -> None:
    session.last_beat_at = at_second(reply.last)
    session.last_seq = reply.seq
    session.last_position_s = reply.pos
    session.last_playing = bool(reply.play)


def close(
    session: LearningSession,
    status: SessionStatus,
    now_s: int,
    *,
    tail: bool = False,
    cutoff_s: int = 0,
    position_s: int | None = None,
) -> LiveReply:
    """Close a locked session and write its final state (its last spans go through the drain)."""
    # tail: credit the time since the last beat, as at check-out; cutoff_s: close only if the
    # session has been idle since before that second (else the reply is "alive").
    reply = live.call(
        "close",
        session.id,
        session.trainee_id,
        now_s,
        status.value,
        1 if tail else 0,
        cutoff_s,
        "" if position_s is None else position_s,
    )
    if reply.r == "alive":
        return reply
    # An open attention check was closed by the script (its row reaches the database through
    # the drain); face checks are settled here.
    face_checks.expire_open(session.id, at_second(now_s))
    if reply.r == "missing":
        attention.expire_open_checks(session.id)
        if cutoff_s and epoch_s(session.last_beat_at) >= cutoff_s:
            return LiveReply("alive")
        # Redis lost it: close at the last beat the database knows; credit since is lost.
        session.status = status
        session.ended_at = session.last_beat_at
        if position_s is not None:
            session.last_position_s = position_s
        return reply
    _apply_state(session, reply)
    session.status = SessionStatus(reply.st)
    session.ended_at = at_second(reply.ended)
    return reply


def check_out(trainee: Trainee, session_id: int, position_s: int) -> dict:
    """End a session, crediting the time since its last beat, and report the lesson's total."""
    # Ending an ended session again answers the same (a retried check-out).
    session = get_for_trainee(
        LearningSession, session_id, trainee, lock=True, message="学习会话不存在"
    )
    trainee_id = trainee.id
    if session.status is SessionStatus.ACTIVE:
        now_s = epoch_s(now())
        if live.peek(session.id, trainee_id) is None:
            # Redis lost it: the time since its last drained beat is credited as at a beat.
            resume_live(session, now_s)
        close(session, SessionStatus.ENDED, now_s, tail=True, position_s=position_s)
    if session.status is not SessionStatus.ENDED:
        raise closed_error(session.status)
    lesson = db.session.get(Lesson, session.lesson_id)
    # Live figures: the last spans may still be on their way to the database.
    live_state = live.peek(session.id, trainee_id)
    total = live_lesson_credit_s(trainee_id, lesson.id)
    return {
        "session_id": session.id,
        "credited_s": max(live_state[0], session.credited_s) if live_state else session.credited_s,
        "lesson_credited_s": total,
        "completed": total
        >= completion_threshold_s(
            lesson.duration_s, policy_for(db.session.get(Project, session.project_id))
        ),
    }


@dataclass(frozen=True)
class SweepResult:
    """What one sweep batch did."""

    examined: int
    closed: int


def sweep_abandoned(limit: int = 200) -> SweepResult:
    """Close one batch of sessions idle past the offline window, at their last accepted beat."""
    # Rows another host is sweeping are skipped (SKIP LOCKED), so hosts can sweep at once.
    now_s = epoch_s(now())
    shortest_s = _shortest_offline_window_s()
    if not shortest_s:
        return SweepResult(0, 0)
    sessions = db.session.scalars(
        sa.select(LearningSession)
        .where(
            LearningSession.status == SessionStatus.ACTIVE,
            LearningSession.last_beat_at < at_second(now_s - shortest_s),
        )
        .order_by(LearningSession.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    closed = 0
    for session in sessions:
        cutoff_s = now_s - _offline_window_s(session)
        reply = close(session, SessionStatus.ABANDONED, now_s, cutoff_s=cutoff_s)
        if reply.r == "alive":
            # Still beating (paused videos send no credit to the drain): record how far it got.
            if reply.last:
                _apply_state(session, reply)
        else:
            closed += 1
    return SweepResult(len(sessions), closed)

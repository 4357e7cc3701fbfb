"""Face checks (人脸核身): when one is due, asking WeChat, and what the outcome does to credit.

While a check is open the session's time waits (as for an attention check); a pass releases it,
a failure or expiry forfeits the time since the check was issued and brings a new check. The
live part is in the session's Redis state (``fs``/``fid``/``fexp``/``fvid``, see the script).
"""

from __future__ import annotations

import bisect
import logging
import random
import secrets
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from backend import audit, pii
from backend.clock import LOCAL_TZ, now
from backend.extensions import db
from backend.kernel.errors import DomainError, register
from backend.kernel.scope import get_for_trainee
from backend.models import (
    CreditedSpan,
    FaceCheck,
    FaceCheckAt,
    FaceCheckOutcome,
    FaceCheckTrigger,
    LearningSession,
    Project,
    Trainee,
)
from backend.policy import policy_for
from backend.services.accounts.wechat_calls import gateway
from backend.services.learning import live
from backend.services.learning.live import at_second, epoch_s
from backend.wechat import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)

PASSED = 10000
RETRY_AFTER_S = "10"

register("wechat_unavailable", 503, "微信服务暂时不可用，请稍后再试")
register("face_check_closed", 409, "该人脸核身已结束，请按最新的人脸核身要求操作")
register("wechat_not_bound", 409, "请先用微信登录并绑定账号，再进行人脸核身")
register("face_check_unavailable", 503, "暂时无法发起人脸核身，请稍后再试")

EXPIRED_REASON = "人脸核身超时未完成，这段时间不计入有效学时，请重新进行人脸核身"
REFUSED_REASON = "未能取得人脸核身结果（未完成或已失效），这段时间不计入有效学时，请重新验证"
MISMATCH_REASON = "人脸与身份证信息不一致，这段时间不计入有效学时，请本人重新验证"
CANCELLED_REASON = "人脸核身已取消，这段时间不计入有效学时，请重新验证"
DEVICE_REASON = "设备、权限或网络原因未能完成人脸核身，这段时间不计入有效学时，请重新验证"
COVERING = (FaceCheckOutcome.PASSED, FaceCheckOutcome.PENDING)
_CANCELLED_RETS = frozenset(range(90002, 90007)) | {90024}


def at_check_in(project: Project) -> FaceCheckAt:
    """When the project asks for a face check at check-in."""
    return FaceCheckAt(project.face_check_at_check_in or policy_for(project).face_check_at_check_in)


def interval_s(project: Project) -> int:
    """About how often a random face check comes during learning (0: never)."""
    value = project.face_check_interval_s
    return policy_for(project).face_check_interval_s if value is None else value


def enabled(project: Project) -> bool:
    """Whether the project asks for face checks at all."""
    return at_check_in(project) is not FaceCheckAt.NEVER or interval_s(project) > 0


def next_random_s(project: Project, after_s: int) -> int:
    """When the next random face check of a session falls due (0: none)."""
    interval = interval_s(project)
    if interval <= 0:
        return 0
    return after_s + max(1, round(interval * random.uniform(0.5, 1.5)))


def due_at_check_in(trainee_id: int, project: Project, at: datetime) -> bool:
    """Whether a check-in now needs a face check first."""
    rule = at_check_in(project)
    if rule is FaceCheckAt.NEVER:
        return False
    if rule is FaceCheckAt.EVERY_SESSION:
        return True
    day_start = datetime.combine(at.astimezone(LOCAL_TZ).date(), time(), LOCAL_TZ)
    passed_today = db.session.scalar(
        sa.select(FaceCheck.id)
        .where(
            FaceCheck.trainee_id == trainee_id,
            FaceCheck.project_id == project.id,
            FaceCheck.outcome == FaceCheckOutcome.PASSED,
            FaceCheck.issued_at >= day_start,
            FaceCheck.issued_at < day_start + timedelta(days=1),
        )
        .limit(1)
    )
    return passed_today is None


def payload(check: FaceCheck, now_s: int) -> dict:
    """What the mini-program needs to run wx.requestFacialVerify."""
    return {
        "id": check.id,
        "verify_id": check.verify_id,
        "expires_in": max(0, epoch_s(check.expires_at) - now_s),
    }


def _unavailable() -> DomainError:
    return DomainError("wechat_unavailable", headers={"Retry-After": RETRY_AFTER_S})


def start(session: LearningSession, trigger: FaceCheckTrigger, now_s: int) -> FaceCheck:
    """Record a new face check of the session's trainee and ask WeChat for its verify_id."""
    trainee = db.session.get(Trainee, session.trainee_id)
    if not trainee.wx_openid:
        raise DomainError("wechat_not_bound")
    seq = "sg" + secrets.token_hex(12)
    id_number = pii.reveal_id_number(trainee, audit.SYSTEM, purpose="face_check")
    try:
        started = gateway().get_verify_id(seq, trainee.name, id_number, trainee.wx_openid)
    except WeChatUnavailable:
        raise _unavailable() from None
    except WeChatError as exc:
        log.error("WeChat refused getverifyid: errcode=%s", exc.errcode)
        raise DomainError("face_check_unavailable") from None
    if "|" in started["verify_id"]:  # the live state's beat answer is "|"-separated
        raise _unavailable()
    project = db.session.get(Project, session.project_id)
    window = min(policy_for(project).face_check_window_s, started["expires_in"])
    check = FaceCheck(
        trainee_id=trainee.id,
        project_id=session.project_id,
        session_id=session.id,
        trigger=trigger,
        out_seq_no=seq,
        verify_id=started["verify_id"],
        issued_at=at_second(now_s),
        expires_at=at_second(now_s + window),
        device=session.device,
    )
    db.session.add(check)
    db.session.flush()
    return check


def issue(session_id: int, trigger: FaceCheckTrigger, now_s: int) -> dict | None:
    """Open a face check for a session whose live state claimed one; what to show, or None."""
    session = db.session.get(LearningSession, session_id)
    try:
        check = start(session, trigger, now_s)
    except DomainError as exc:
        # Claimed but not issued: the live state claims again shortly; time waits meanwhile.
        log.warning("face check not issued for session %s: %s", session_id, exc.code)
        return None
    reply = live.call(
        "face_open",
        session.id,
        session.trainee_id,
        now_s,
        check.id,
        epoch_s(check.expires_at),
        check.verify_id,
    )
    if reply.r != "ok":
        db.session.delete(check)  # another request opened one first, or the session closed
        return None
    return payload(check, now_s)


def _classify(verify_ret: int) -> tuple[FaceCheckOutcome, str | None]:
    if verify_ret == PASSED:
        return FaceCheckOutcome.PASSED, None
    if 10000 < verify_ret < 20000:
        return FaceCheckOutcome.MISMATCH, MISMATCH_REASON
    if verify_ret in _CANCELLED_RETS:
        return FaceCheckOutcome.CANCELLED, CANCELLED_REASON
    return FaceCheckOutcome.CANCELLED, DEVICE_REASON


def _ask_wechat(check: FaceCheck) -> tuple[FaceCheckOutcome, str | None]:
    trainee = db.session.get(Trainee, check.trainee_id)
    id_number = pii.reveal_id_number(trainee, audit.SYSTEM, purpose="face_check")
    try:
        verify_ret = gateway().query_verify_info(
            check.verify_id, check.out_seq_no, trainee.name, id_number, trainee.wx_openid or ""
        )
    except WeChatUnavailable:
        raise _unavailable() from None
    except WeChatError as exc:
        check.errcode = exc.errcode
        return FaceCheckOutcome.REFUSED, REFUSED_REASON
    check.verify_ret = verify_ret
    return _classify(verify_ret)


def result(trainee: Trainee, check_id: int) -> dict:
    """Ask WeChat how the trainee's face check went and settle the time it held."""
    check = get_for_trainee(FaceCheck, check_id, trainee, lock=True, message="人脸核身不存在")
    if check.outcome is FaceCheckOutcome.PASSED:
        return {"passed": True}  # a retried request
    if check.outcome is not FaceCheckOutcome.PENDING:
        raise DomainError("face_check_closed")
    now_s = epoch_s(now())
    if now_s > epoch_s(check.expires_at):
        outcome, reason = FaceCheckOutcome.EXPIRED, EXPIRED_REASON
    else:
        outcome, reason = _ask_wechat(check)
    check.outcome, check.reason, check.resolved_at = outcome, reason, at_second(now_s)
    session = db.session.get(LearningSession, check.session_id)
    project = db.session.get(Project, check.project_id)
    verdict = "pass" if outcome is FaceCheckOutcome.PASSED else "fail"
    reply = live.call(
        "face_resolve",
        session.id,
        session.trainee_id,
        now_s,
        check.id,
        verdict,
        next_random_s(project, now_s) if verdict == "pass" else 0,
    )
    if verdict == "pass":
        return {"passed": True}
    retry = issue(session.id, FaceCheckTrigger.RETRY, now_s) if reply.r == "ok" else None
    return {"passed": False, "reason": reason, "face_check": retry}


def expire(check_id: int, now_s: int) -> None:
    """Mark a face check expired whose window passed with no result (found by a beat)."""
    db.session.execute(
        sa.update(FaceCheck)
        .where(FaceCheck.id == check_id, FaceCheck.outcome == FaceCheckOutcome.PENDING)
        .values(
            outcome=FaceCheckOutcome.EXPIRED, reason=EXPIRED_REASON, resolved_at=at_second(now_s)
        )
    )


def expire_open(session_id: int, at: datetime) -> int:
    """Mark a session's open face checks expired (the held time dies with them); how many."""
    result = db.session.execute(
        sa.update(FaceCheck)
        .where(FaceCheck.session_id == session_id, FaceCheck.outcome == FaceCheckOutcome.PENDING)
        .values(outcome=FaceCheckOutcome.EXPIRED, reason=EXPIRED_REASON, resolved_at=at)
    )
    return result.rowcount


def live_fields(
    session_id: int, project: Project, now_s: int, check: FaceCheck | None, rebuild: bool
) -> dict:
    """The face-check part of a session's live state when it is (re)built."""
    if check is not None:
        fields = {"fs": "pending", "fid": check.id, "fexp": epoch_s(check.expires_at)}
        return {**fields, "fvid": check.verify_id, "fnext": 0, "fclaim": 0}
    fields = {"fs": "none", "fid": 0, "fexp": 0, "fvid": "", "fclaim": 0}
    if rebuild and expire_open(session_id, at_second(now_s)):
        # Redis lost an open face check: a new one is claimed by the next beat, time waits.
        return {**fields, "fs": "issuing", "fclaim": now_s - 31, "fnext": 0}
    return {**fields, "fnext": next_random_s(project, now_s)}


# ---- which check covers which credited second -----------------------------------------------


def coverage_points(trainee_ids) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """(issued second, id) of the checks that can cover credit, per (trainee, project), oldest
    first."""
    # Passed checks, and pending ones: credit after a check was issued exists only once it has
    # passed, and a drainer may write that credit before the request that passed it commits.
    # Failed checks cover nothing: the time after them was forfeited until a later one passed.
    query = (
        sa.select(FaceCheck.trainee_id, FaceCheck.project_id, FaceCheck.issued_at, FaceCheck.id)
        .where(_any(FaceCheck.trainee_id, list(trainee_ids)), FaceCheck.outcome.in_(COVERING))
        .order_by(FaceCheck.issued_at, FaceCheck.id)
    )
    found: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for trainee_id, project_id, issued_at, check_id in db.session.execute(query):
        found.setdefault((trainee_id, project_id), []).append((epoch_s(issued_at), check_id))
    return found


def _any(column, ids: list[int]):
    # One parameter on PostgreSQL: the drain asks this for a thousand trainees a batch, and a
    # thousand bound parameters cost more to compile and send than the query itself; a joined
    # text, not an array (psycopg's list dumper: 0.57 ms of the drainer's CPU a thousand ids).
    if db.session.get_bind().dialect.name == "postgresql":
        listed = sa.func.string_to_array(sa.bindparam("ids", ",".join(map(str, ids))), ",")
        return column == sa.any_(sa.cast(listed, postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def split_by_coverage(
    a: int, b: int, points: list[tuple[int, int]]
) -> list[tuple[int, int, int | None]]:
    """Cut [a, b) where a passed check was issued; each piece with the check that covers it."""
    # Time is credited only after a check passes, from the moment it was issued: a second is
    # covered by the latest such check issued at or before it.
    starts = [p[0] for p in points]
    pieces: list[tuple[int, int, int | None]] = []
    x = a
    while x < b:
        i = bisect.bisect_right(starts, x) - 1
        cover = points[i][1] if i >= 0 else None
        y = starts[i + 1] if i + 1 < len(starts) and starts[i + 1] < b else b
        pieces.append((x, y, cover))
        x = y
    return pieces


def coverage_sums() -> tuple:
    """The two aggregates face-check coverage rests on, over a trainee's credited spans:
    credited seconds and those covered by a passed face check (labelled ``credited_all_s``,
    ``covered_s``). The hours sheet adds them to its own pass over the project's spans."""
    covered = sa.case((CreditedSpan.face_check_id.is_not(None), CreditedSpan.seconds), else_=0)
    return (
        sa.func.sum(CreditedSpan.seconds).label("credited_all_s"),
        sa.func.sum(covered).label("covered_s"),
    )


def percent(credited: int, covered: int) -> int | None:
    """Covered seconds as a share of credited ones, in percent rounded down; None without credit."""
    return covered * 100 // credited if credited else None


def credited_and_covered_s(
    project_id: int, trainee_id: int | None = None
) -> dict[int, tuple[int, int]]:
    """Per trainee of the project (or the one given): credited seconds, and those of them
    covered by a passed face check. The one place face-check coverage is counted (the hours
    sheet sums ``coverage_sums`` in its own pass)."""
    query = (
        sa.select(CreditedSpan.trainee_id, *coverage_sums())
        .where(CreditedSpan.project_id == project_id)
        .group_by(CreditedSpan.trainee_id)
    )
    if trainee_id is not None:
        query = query.where(CreditedSpan.trainee_id == trainee_id)
    return {
        tid: (int(total or 0), int(part or 0)) for tid, total, part in db.session.execute(query)
    }


def asked_any(project_id: int) -> bool:
    """Whether the project ever asked a face check (else its coverage is shown blank)."""
    asked = db.session.scalar(
        sa.select(FaceCheck.id).where(FaceCheck.project_id == project_id).limit(1)
    )
    return asked is not None


def coverage_percent(project_id: int) -> dict[int, int]:
    """Per trainee: the share of credited seconds covered by a passed face check, in percent
    (rounded down); {} for a project that never asked a face check."""
    if not asked_any(project_id):
        return {}
    return {
        tid: percent(credited, covered)
        for tid, (credited, covered) in credited_and_covered_s(project_id).items()
        if credited
    }


def trainee_coverage(trainee_id: int, project_id: int) -> dict:
    """A trainee's face checks in a project and how much credited time they cover."""
    credited, covered = credited_and_covered_s(project_id, trainee_id).get(trainee_id, (0, 0))
    counts = dict(
        db.session.execute(
            sa.select(FaceCheck.outcome, sa.func.count())
            .where(FaceCheck.trainee_id == trainee_id, FaceCheck.project_id == project_id)
            .group_by(FaceCheck.outcome)
        ).all()
    )
    return {
        "credited_s": int(credited),
        "covered_s": int(covered),
        "checks": {outcome.value: int(counts.get(outcome, 0)) for outcome in FaceCheckOutcome},
    }

"""The demo's media and learning history: generated video in every lesson (encoded at seed
time, no committed binary) and days of credited learning, so the player and charts show data."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

from backend.clock import LOCAL_TZ, today
from backend.extensions import db
from backend.models import CreditedSpan, LearningSession, LessonKind, Project, SessionStatus
from backend.services.content import lessons, samples
from backend.services.learning import record_chain
from backend.services.support import threads

# One frame a second, 64×48: a 45-minute lesson is about 270 KB and 2 s to encode.
LESSON_S = 45 * 60


def ended_learning(
    trainee_id: int,
    project_id: int,
    lesson_id: int,
    start: datetime,
    seconds: int,
    device: str = "演示设备",
) -> CreditedSpan:
    """A learning session that ended after ``seconds`` fully credited, and its credited span
    (added to the session; the seeds of the demo and of the benchmarks write learning so)."""
    end = start + timedelta(seconds=seconds)
    session = LearningSession(
        trainee_id=trainee_id,
        project_id=project_id,
        lesson_id=lesson_id,
        device=device,
        started_at=start,
        last_beat_at=end,
        ended_at=end,
        last_position_s=seconds,
        status=SessionStatus.ENDED,
        credited_s=seconds,
    )
    db.session.add(session)
    db.session.flush()  # the span names its session
    span = CreditedSpan(
        trainee_id=trainee_id,
        session_id=session.id,
        lesson_id=lesson_id,
        project_id=project_id,
        start_at=start,
        end_at=end,
        seconds=seconds,
        device=device,
    )
    db.session.add(span)
    return span


def seed_media(project: Project) -> None:
    """Give every lesson of the project a generated video of its length, stored for real."""
    clip = samples.video_bytes(LESSON_S, fps=1)
    for course in project.courses:
        for lesson in course.lessons:
            media = lessons.store(
                LessonKind.VIDEO, lessons.Upload("演示视频.mp4", io.BytesIO(clip))
            )
            lesson.kind = LessonKind.VIDEO
            lesson.duration_s = media.duration_s
            lesson.media_key = media.key
            lesson.media_bytes = media.bytes
            lesson.media_content_type = media.content_type
            lesson.media_filename = media.filename


def seed_history(project: Project, trainees: list) -> None:
    """The first trainees learned on the past days: a whole lesson a day, at 10:00 China time."""
    lessons_in_order = [lesson for course in project.courses for lesson in course.lessons]
    spans = []
    for n, trainee in enumerate(trainees[:3]):
        for day, lesson in enumerate(lessons_in_order[: 5 - n]):
            date = today() - timedelta(days=6 - day)
            if date < project.start_date:
                continue
            start = datetime.combine(date, time(10, n * 10), LOCAL_TZ).astimezone(UTC)
            span = ended_learning(trainee.id, project.id, lesson.id, start, lesson.duration_s)
            spans.append(span)
    db.session.flush()
    record_chain.append(record_chain.lock_head(project.id), spans)


# (trainee's index in the roster, subject, question, the enterprise's answer or None)
_SUPPORT = [
    (0, "视频播放卡顿", "第二课节播放到一半就卡住，刷新后要从头看吗？", None),
    (
        1,
        "课时什么时候算完成",
        "我看完了一个课节，为什么课时没有增加？",
        "每满 45 分钟有效学习计 1 课时，不足 45 分钟的部分会累计到下一次。",
    ),
    (2, "考核可以考几次", "结业考核没通过，还能再考吗？", None),
]


def seed_support(hr, trainees: list) -> None:
    """Trainees' questions in the support inbox: two waiting for an answer, one answered."""
    for index, subject, question, answer in _SUPPORT:
        thread = threads.create_thread(trainees[index], subject, question)
        if answer is not None:
            message = threads.admin_reply(hr, thread, answer, client_address="")
            # The demo trainees have no WeChat bound: there is nobody to notify.
            message.notify_status = "skipped"

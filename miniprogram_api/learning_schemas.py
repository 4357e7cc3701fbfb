"""Request and response models of lessons, learning sessions, heartbeats and hours."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, RootModel

from backend.api import MAX_ID, RequestModel, ResponseModel
from backend.services.plain_text import LINE_PATTERN

# Epoch milliseconds up to the year 5138: plenty, and exact in a double (Redis Lua numbers).
MAX_EPOCH_MS = 10**14
MAX_POSITION_S = 10**7
# Text stored in the database: no control characters (PostgreSQL refuses NUL).
PLAIN_TEXT = LINE_PATTERN


class CheckInRequest(RequestModel):
    """Check in to a lesson (签到): the session's first beat, playing."""

    client_ts: int = Field(
        ge=0,
        le=MAX_EPOCH_MS,
        description="The client's clock now, in epoch milliseconds. Only used to place beats "
        "buffered offline: their client_ts plus (server time - this) gives their server time.",
    )
    device: str = Field(
        default="",
        max_length=120,
        pattern=PLAIN_TEXT,
        description="What the device says it is (e.g. wx.getDeviceInfo brand and model).",
    )
    device_id: str = Field(
        default="",
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="A random id the mini-program makes once per installation (kept with "
        "wx.setStorageSync) and sends at every check-in: it tells one phone from another of "
        "the same model, so one device learning for several trainees can be flagged.",
    )
    project_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The project to learn the lesson in, when a course is shared by several "
        "projects the trainee is enrolled in; by default a project open for learning.",
    )


class FaceCheckOut(ResponseModel):
    """An open face check (人脸核身): run wx.requestFacialVerify({verifyId}), then ask for the
    result with POST /face-checks/{id}/result. Until it passes, no time counts."""

    id: int
    verify_id: str = Field(description="WeChat's verifyId for wx.requestFacialVerify.")
    expires_in: int = Field(description="Seconds left to pass it; after that the time is lost.")


class Notice(ResponseModel):
    """Why time has stopped counting (e.g. the daily maximum, an expired face check)."""

    code: str
    message: str


class CheckInResponse(ResponseModel):
    """A new learning session."""

    session_id: int
    heartbeat_interval_s: int = Field(description="Send a heartbeat this often while open.")
    server_ts: int = Field(description="Server time in epoch milliseconds.")
    face_check: FaceCheckOut | None = Field(
        default=None, description="A face check due at check-in: no time counts until it passes."
    )


class ChallengeAnswer(RequestModel):
    """The answer to an attention check, sent inside the next heartbeat."""

    id: int = Field(ge=1, le=MAX_ID, description="The id of the challenge being answered.")
    answer: str = Field(
        max_length=64,
        pattern=PLAIN_TEXT,
        description='For a question, the letters of the chosen options (e.g. "B" or "AC"); '
        "for a code, the code as typed.",
    )


class BeatIn(RequestModel):
    """One heartbeat (心跳)."""

    seq: int = Field(ge=1, le=MAX_ID, description="Increases by one with every beat of a session.")
    client_ts: int = Field(
        ge=0, le=MAX_EPOCH_MS, description="The client's clock at the beat, epoch milliseconds."
    )
    position_s: int = Field(ge=0, le=MAX_POSITION_S, description="Playback position, seconds.")
    playing: bool = Field(description="Whether the lesson was playing and visible.")


class LiveBeatIn(BeatIn):
    """A heartbeat sent as it happens; its time is the server's time of arrival."""

    challenge_answer: ChallengeAnswer | None = Field(
        default=None,
        description="The answer to the open attention check (随机弹题), if the trainee gave one. "
        "Until it is answered correctly within its window, beats earn no credit.",
    )


class BeatBatchIn(RequestModel):
    """Beats buffered while offline, sent together; accepted or rejected as a whole."""

    beats: list[BeatIn] = Field(min_length=1, max_length=120)


class HeartbeatRequest(RootModel[LiveBeatIn | BeatBatchIn]):
    """A live beat, or ``{"beats": [...]}`` buffered offline."""


class Challenge(ResponseModel):
    """An open attention check: show it and send the answer in a heartbeat."""

    id: int
    kind: Literal["question", "code"] = Field(
        description="question: choose among options; code: type back the code in the prompt."
    )
    prompt: str
    options: list[str] = Field(description="Option texts, lettered A, B, C... in this order.")
    multiple: bool = Field(description="Whether several options may be chosen.")
    expires_ts: int = Field(description="Answer before this server time, epoch milliseconds.")


class HeartbeatResponse(ResponseModel):
    """The answer to a heartbeat or batch."""

    credited_s: int = Field(description="Seconds credited to this session so far.")
    acked_seq: int = Field(description="The highest beat sequence number accepted.")
    challenge: Challenge | None = None
    face_check: FaceCheckOut | None = Field(
        default=None, description="An open face check (one falls due at random moments)."
    )
    notice: Notice | None = None


class FaceCheckResult(ResponseModel):
    """How a face check went. A failed or expired one forfeits the time since it was issued."""

    passed: bool
    reason: str | None = Field(default=None, description="Why it did not pass (Chinese).")
    face_check: FaceCheckOut | None = Field(
        default=None, description="The new face check that replaces a failed one."
    )


class EndRequest(RequestModel):
    """Check out of a session (签退)."""

    position_s: int = Field(ge=0, le=MAX_POSITION_S, description="Final playback position.")


class EndResponse(ResponseModel):
    """What the session earned and where the lesson stands."""

    session_id: int
    credited_s: int = Field(description="Seconds credited to this session.")
    lesson_credited_s: int = Field(description="Seconds of this lesson credited in all.")
    completed: bool = Field(description="Whether the lesson counts as completed.")


class LessonProgress(ResponseModel):
    """A lesson and the trainee's progress on it."""

    lesson_id: int
    course_id: int
    course_name: str = Field(description="The course's name (the only name field of a course).")
    title: str
    position: int
    kind: Literal["video", "audio", "document"] = Field(
        description="The lesson's form (附件1's 资源形式 is derived from it)."
    )
    duration_s: int = Field(
        description="Video and audio: read from the file; document: the set reading time."
    )
    page_count: int | None = Field(description="Pages of a document; null otherwise.")
    media_url: str | None = Field(
        description="Signed URL of the file (HTTP Range supported); null when there is none."
    )
    media_expires_at: datetime | None = Field(description="When media_url stops working.")
    locked: bool = Field(
        description="In a sequential project: the previous lesson is not completed yet."
    )
    credited_s: int
    completed: bool
    resume_position_s: int = Field(description="Where to resume playback, seconds.")


class ProjectLessons(ResponseModel):
    """A project's lessons in course order."""

    project_id: int
    lessons: list[LessonProgress]


class HoursRulesOut(ResponseModel):
    """The project's policy numbers, so a client can say how its figures are computed."""

    minutes_per_class_hour: int = Field(description="Credited minutes per class hour (45).")
    fen_per_class_hour: int = Field(description="Subsidy per subsidizable class hour, fen.")
    yearly_cap_fen: int = Field(description="Most subsidy per person and calendar year, fen.")
    planned_class_hours: int = Field(description="Class hours beyond these get no subsidy.")


class ProjectHoursOut(ResponseModel):
    """Class hours in one project."""

    project_id: int
    rules: HoursRulesOut | None = None
    credited_s: int = Field(description="Credited seconds within the project's dates.")
    class_hours: int = Field(description="Whole class hours of 45 minutes.")
    subsidizable_hours: int = Field(description="Class hours up to the project's planned hours.")
    minutes_to_next_hour: int


class YearHoursOut(ResponseModel):
    """Class hours earned in one calendar year (China time) and their subsidy."""

    year: int
    class_hours: int
    subsidy_fen: int = Field(description="Subsidy in fen after the yearly cap per person.")


class MyHours(ResponseModel):
    """The trainee's class hours and subsidy."""

    projects: list[ProjectHoursOut]
    years: list[YearHoursOut]

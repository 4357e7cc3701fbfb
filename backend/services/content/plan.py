"""附件1's 线上培训计划 from the project's real courses, and what a filing needs before submit."""

from __future__ import annotations

import math

from backend.kernel.errors import DomainError, register
from backend.models import LessonKind, Project, ResourceForm

register("filing_incomplete", 422, "不能提交备案：{problems}")

FORM_NAMES = {"video": "视频", "audio": "音频", "document": "文档", "live": "直播"}
# The order kinds are named in a row, and which one a mixed course files under.
KIND_ORDER = (LessonKind.VIDEO, LessonKind.AUDIO, LessonKind.DOCUMENT)


def course_rows(project: Project) -> list[dict]:
    """One plan row per attached course with live lessons: name, summary, forms, duration."""
    rows = []
    for course in project.courses:
        lessons = course.live_lessons
        if not lessons:
            continue
        kinds = [kind for kind in KIND_ORDER if any(lesson.kind is kind for lesson in lessons)]
        seconds = sum(lesson.duration_s for lesson in lessons)
        rows.append(
            {
                "resource_name": course.name,
                "key_content": course.summary,
                "resource_form": ResourceForm(kinds[0].value).value,
                "resource_forms": [kind.value for kind in kinds],
                "duration_minutes": math.ceil(seconds / 60),
                "duration_s": seconds,
                "course_id": course.id,
            }
        )
    return rows


def yield_s(project: Project) -> int:
    """Seconds of credit the project's courses can give one trainee (their live lessons)."""
    return sum(lesson.duration_s for course in project.courses for lesson in course.live_lessons)


def form_label(row: dict) -> str:
    """资源形式 of a plan row: 视频, or 视频、文档 for a course with both."""
    forms = row.get("resource_forms") or [
        str(getattr(row["resource_form"], "value", row["resource_form"]))
    ]
    return "、".join(FORM_NAMES.get(form, form) for form in forms)


def duration_label(row: dict) -> str:
    """培训时长 of a plan row: whole minutes, or minutes and seconds for a course's real length."""
    seconds = row.get("duration_s")
    if seconds is None or seconds % 60 == 0:
        return f"{row['duration_minutes']}分钟"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes}分{rest}秒" if minutes else f"{rest}秒"


def ensure_submittable(project: Project, plan_rows: list[dict], minutes_per_hour: int) -> None:
    """Refuse, listing every gap, a filing without platform or plan, or with more planned class
    hours than its courses can yield."""
    # (what is missing, what fixes it: "platform" the filing form, "courses" the project's courses)
    problems: list[tuple[str, str]] = []
    if project.platform is None or not (project.platform.name or "").strip():
        problems.append(("未填写线上培训平台情况（平台名称等）", "platform"))
    if not plan_rows:
        problems.append(("线上培训计划为空：请为项目加入课程，或填写计划行", "courses"))
    planned_s = project.planned_class_hours * minutes_per_hour * 60
    available = yield_s(project)
    if planned_s > available:
        problems.append(
            (
                f"计划培训 {project.planned_class_hours} 课时（{planned_s // 60} 分钟），"
                f"但项目课程只有 {_minutes(available)}",
                "courses",
            )
        )
    if problems:
        raise DomainError(
            "filing_incomplete",
            problems="；".join(text for text, _ in problems),
            details=[{"problem": text, "fix": fix} for text, fix in problems],
        )


def _minutes(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} 分钟" + (f" {rest} 秒" if rest else "")

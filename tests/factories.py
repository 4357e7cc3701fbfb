"""Factories for test data: valid by default, every field overridable."""

from __future__ import annotations

import io
import itertools
from datetime import date, datetime, timedelta

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from backend import pii
from backend.demo import demo_id_number
from backend.models import (
    AdminUser,
    Course,
    CoursePlanRow,
    CreditedSpan,
    Enrolment,
    Enterprise,
    LearningSession,
    Lesson,
    LessonKind,
    Platform,
    Project,
    ProjectCourse,
    ProjectStatus,
    Question,
    QuestionKind,
    Quiz,
    QuizKind,
    ResourceForm,
    Role,
    SessionStatus,
    Trainee,
    TrainingType,
)
from backend.services.accounts import tokens
from backend.services.projects.regions import city_from_credit_code
from backend.validation import InvalidValue, validate_credit_code

_seq = itertools.count(1)
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ADMIN_PASSWORD = "correct-horse-battery"


def credit_code(n: int, division: str = "440300") -> str:
    """A checksum-valid unified social credit code, distinct for each ``n``, registered in
    ``division`` (an administrative division code; 440300 is Shenzhen)."""
    body = f"91{division}{n:09d}"
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    code = body + _CREDIT_ALPHABET[(31 - total % 31) % 31]
    try:
        return validate_credit_code(code)
    except InvalidValue as exc:  # pragma: no cover - would mean the factory itself is wrong
        raise AssertionError(code) from exc


def id_number(n: int, gender: str = "male") -> str:
    """A valid resident ID number, distinct for each ``n``, with the given gender."""
    seq = (n * 2 + (1 if gender == "male" else 0)) % 1000
    return demo_id_number("19900101", f"{seq:03d}", region=f"{440100 + n // 500:06d}")


def mobile(n: int) -> str:
    """A valid mainland mobile number, distinct for each ``n``."""
    return f"139{n:08d}"


class Factories:
    """Create and flush model objects; the test commits nothing it does not need to."""

    def __init__(self, session) -> None:
        self.session = session

    def _add(self, obj):
        self.session.add(obj)
        self.session.flush()
        return obj

    def enterprise(self, **fields) -> Enterprise:
        """An enterprise with a valid credit code."""
        n = next(_seq)
        fields.setdefault("name", f"测试企业{n}")
        division = fields.pop("division", "440300")
        fields.setdefault("credit_code", credit_code(n, division))
        fields.setdefault("city_code", city_from_credit_code(fields["credit_code"]))
        return self._add(Enterprise(**fields))

    def project(self, enterprise: Enterprise | None = None, **fields) -> Project:
        """An approved project running from 2026-03-01 to 2026-06-30."""
        fields.setdefault("name", f"测试培训项目{next(_seq)}")
        fields.setdefault("training_type", TrainingType.ON_JOB)
        fields.setdefault("start_date", date(2026, 3, 1))
        fields.setdefault("end_date", date(2026, 6, 30))
        fields.setdefault("planned_class_hours", 8)
        fields.setdefault("status", ProjectStatus.APPROVED)
        fields.setdefault("planned_headcount", 10)
        project = Project(enterprise=enterprise or self.enterprise(), **fields)
        return self._add(project)

    def plan_row(self, project: Project, **fields) -> CoursePlanRow:
        """A row of the project's online training plan."""
        fields.setdefault("resource_name", "安全生产")
        fields.setdefault("resource_form", ResourceForm.VIDEO)
        fields.setdefault("duration_minutes", 90)
        return self._add(CoursePlanRow(project=project, **fields))

    def course(self, project: Project | None = None, **fields) -> Course:
        """A course of an enterprise's library, attached at the end of ``project`` (default: a
        new project's); ``project=None`` with ``enterprise=`` leaves it unattached."""
        fields.setdefault("name", f"课程{next(_seq)}")
        if project is None and "enterprise" not in fields:
            project = self.project()
        fields.setdefault("enterprise", project.enterprise if project else None)
        course = self._add(Course(**fields))
        if project is not None:
            self.attach(project, course)
        return course

    def attach(self, project: Project, course: Course) -> ProjectCourse:
        """Attach a course at the end of a project's course list."""
        link = ProjectCourse(course=course, position=len(project.course_links))
        project.course_links.append(link)
        self.session.flush()
        return link

    def lesson(self, course: Course | None = None, **fields) -> Lesson:
        """A 45-minute video lesson (without a file)."""
        fields.setdefault("title", f"课节{next(_seq)}")
        fields.setdefault("duration_s", 45 * 60)
        fields.setdefault("kind", LessonKind.VIDEO)
        return self._add(Lesson(course=course or self.course(), **fields))

    def teaching(self, project: Project) -> Course:
        """What a filing needs before submit: a platform, and a course of 45-minute lessons
        covering the planned class hours."""
        if project.platform is None:
            project.platform = Platform(name="适岗线上培训平台", server_city="广州")
        course = self.course(project, name="岗位安全", summary="安全操作规程")
        for n in range(project.planned_class_hours):
            self.lesson(course, position=n)
        return course

    def media_lesson(
        self, course: Course, data: bytes, kind: LessonKind = LessonKind.VIDEO, **fields
    ) -> Lesson:
        """A lesson whose file (real media bytes) is in the app's media storage."""
        from backend.services.content import lessons

        media = lessons.store(kind, lessons.Upload("lesson.bin", io.BytesIO(data)))
        fields.setdefault("duration_s", media.duration_s)
        return self.lesson(
            course,
            kind=kind,
            media_key=media.key,
            media_bytes=media.bytes,
            media_content_type=media.content_type,
            media_filename=media.filename,
            page_count=media.page_count,
            **fields,
        )

    def question(self, course: Course, **fields) -> Question:
        """A single-choice question of the course's bank (answer B)."""
        n = next(_seq)
        fields.setdefault("kind", QuestionKind.SINGLE)
        fields.setdefault("stem", f"题目{n}")
        fields.setdefault("options", [f"选项{n}-{i}" for i in range(1, 5)])
        fields.setdefault("answer", "B")
        fields.setdefault("explanation", f"解析{n}")
        fields.setdefault("position", n)
        return self._add(Question(course_id=course.id, **fields))

    def quiz(self, project: Project, **fields) -> Quiz:
        """A practice quiz over the whole project's banks."""
        fields.setdefault("title", f"测验{next(_seq)}")
        fields.setdefault("kind", QuizKind.PRACTICE)
        return self._add(Quiz(project_id=project.id, **fields))

    def ended_session(
        self, trainee: Trainee, lesson: Lesson, start: datetime, seconds: int, **fields
    ) -> LearningSession:
        """A learning session checked out ``seconds`` after ``start``."""
        end = start + timedelta(seconds=seconds)
        fields.setdefault("credited_s", seconds)
        project_id = fields.pop("project_id", None) or self.project_of(lesson)
        session = LearningSession(
            trainee_id=trainee.id,
            project_id=project_id,
            lesson_id=lesson.id,
            started_at=start,
            last_beat_at=end,
            ended_at=end,
            status=SessionStatus.ENDED,
            **fields,
        )
        return self._add(session)

    def project_of(self, lesson: Lesson) -> int:
        """The id of the first project the lesson's course is attached to."""
        return self.session.scalars(
            select(ProjectCourse.project_id)
            .where(ProjectCourse.course_id == lesson.course_id)
            .order_by(ProjectCourse.project_id)
        ).first()

    def credited_span(
        self, trainee: Trainee, lesson: Lesson, start: datetime, seconds: int, **fields
    ) -> CreditedSpan:
        """A credited span (in ``session=``, else an ended session of its own), for hour and
        subsidy arithmetic."""
        project_id = fields.pop("project_id", None) or self.project_of(lesson)
        end = start + timedelta(seconds=seconds)
        session = fields.pop("session", None) or self.ended_session(
            trainee, lesson, start, seconds, device=fields.get("device", ""), project_id=project_id
        )
        span = CreditedSpan(
            trainee_id=trainee.id,
            session_id=session.id,
            lesson_id=lesson.id,
            project_id=project_id,
            start_at=start,
            end_at=end,
            seconds=seconds,
            **fields,
        )
        return self._add(span)

    def learning(
        self, trainee: Trainee, lesson: Lesson, start: datetime, total_s: int, piece_s: int = 1800
    ) -> datetime:
        """Credited spans of ``piece_s`` seconds back to back from ``start``; returns their end."""
        at, left = start, total_s
        while left:
            seconds = min(piece_s, left)
            self.credited_span(trainee, lesson, at, seconds)
            at += timedelta(seconds=seconds)
            left -= seconds
        return at

    def same_person_in_two_enterprises(self, first_fields: dict, second_fields: dict) -> list:
        """One resident ID as a trainee of two enterprises, each enrolled in a project of its
        own with one lesson: [(project, lesson, trainee)] twice."""
        plain_id = id_number(777)
        rows = []
        for fields in (first_fields, second_fields):
            project = self.project(**fields)
            lesson = self.lesson(self.course(project))
            trainee = self.trainee(project.enterprise, id_number=plain_id)
            self.enrol(trainee, project)
            rows.append((project, lesson, trainee))
        return rows

    def trainee(self, enterprise: Enterprise | None = None, **fields) -> Trainee:
        """A trainee with a valid, encrypted ID number and mobile."""
        n = next(_seq)
        gender = fields.setdefault("gender", "male")
        plain_id = fields.pop("id_number", None) or id_number(n, gender)
        plain_mobile = fields.pop("mobile", None) or mobile(n)
        fields.setdefault("name", f"学员{n}")
        fields.setdefault("account", f"trainee{n}")
        fields.setdefault("roster_seq", n)
        trainee = Trainee(enterprise=enterprise or self.enterprise(), **fields)
        pii.set_id_number(trainee, plain_id)
        pii.set_mobile(trainee, plain_mobile)
        return self._add(trainee)

    def enrol(self, trainee: Trainee, project: Project) -> Enrolment:
        """Enrol a trainee in a project."""
        return self._add(Enrolment(trainee=trainee, project=project))

    def admin(self, role: Role | str = Role.OPERATOR, enterprise=None, **fields) -> AdminUser:
        """An admin user whose password is ``ADMIN_PASSWORD``."""
        fields.setdefault("username", f"admin{next(_seq)}")
        fields.setdefault("password_hash", generate_password_hash(ADMIN_PASSWORD))
        return self._add(AdminUser(role=Role(role), enterprise=enterprise, **fields))

    def token(self, trainee: Trainee) -> str:
        """A live bearer token for the trainee (the session is committed so views see it)."""
        self.session.commit()
        return tokens.issue_token(trainee.id)[0]

    def auth(self, trainee: Trainee) -> dict[str, str]:
        """Request headers authenticating as the trainee."""
        return {"Authorization": f"Bearer {self.token(trainee)}"}


def days(n: int) -> timedelta:
    """Shorthand for a timedelta of ``n`` days."""
    return timedelta(days=n)

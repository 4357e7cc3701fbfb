"""Training projects, their course plan, the course library and lessons (附件1 sections four
and five)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.clock import now
from backend.extensions import db
from backend.models.org import Enterprise, Institution, Platform
from backend.models.types import UTCDateTime, enum_column
from backend.pii_fields import masked_mobile, seal
from backend.policy import choose_policy_id


class TrainingType(enum.StrEnum):
    """培训类型."""

    PRE_JOB = "pre_job"  # 岗前培训
    ON_JOB = "on_job"  # 在岗培训
    JOB_TRANSFER = "job_transfer"  # 转岗培训


class ProjectStatus(enum.StrEnum):
    """Where a project stands in filing and review."""

    DRAFT = "draft"
    FILED = "filed"
    APPROVED = "approved"
    RETURNED = "returned"
    CLOSED = "closed"


class ResourceForm(enum.StrEnum):
    """资源形式."""

    VIDEO = "video"
    DOCUMENT = "document"
    LIVE = "live"
    AUDIO = "audio"


class Project(db.Model):
    """A training project an enterprise files (培训项目)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institution.id"))
    platform_id: Mapped[int | None] = mapped_column(sa.ForeignKey("platform.id"))
    name: Mapped[str] = mapped_column(sa.String(200))
    post_trade: Mapped[str] = mapped_column(sa.String(100), default="")
    training_type: Mapped[TrainingType] = mapped_column(enum_column(TrainingType))
    planned_headcount: Mapped[int] = mapped_column(default=0)
    method: Mapped[str] = mapped_column(sa.String(100), default="线上培训")
    start_date: Mapped[date]
    end_date: Mapped[date]
    planned_class_hours: Mapped[int]
    person_in_charge: Mapped[str] = mapped_column(sa.String(100), default="")
    # The person in charge's mobile, as every mobile: AES-GCM ciphertext and a blind index
    # ("" for none); ``person_mobile`` reads it masked and sets it encrypted (backend/pii_fields.py;
    # the full one, audit-logged: backend/pii.py).
    person_mobile_enc: Mapped[str] = mapped_column(sa.Text, default="")
    person_mobile_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    goal: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[ProjectStatus] = mapped_column(
        enum_column(ProjectStatus), default=ProjectStatus.DRAFT
    )
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("admin_user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What 附件1 showed at the last submit (services/projects/filing_document.filing_form): a
    # filed document must not change when the enterprise's own data does. None for projects
    # never submitted, and for those filed before snapshots existed, which keep showing their
    # live rows.
    filing_snapshot: Mapped[dict | None] = mapped_column(sa.JSON)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attention_checks_enabled: Mapped[bool] = mapped_column(default=True)
    # Seconds between attention checks; None means the policy's default.
    attention_check_interval_s: Mapped[int | None]
    # Face checks (人脸核身): at check-in (a FaceCheckAt value) and about every so many seconds
    # of learning (0: none); None means the policy's default.
    face_check_at_check_in: Mapped[str | None] = mapped_column(sa.String(20))
    face_check_interval_s: Mapped[int | None]
    assessment_required: Mapped[bool] = mapped_column(default=False)
    # Whether a lesson opens only once the previous one of the project is completed.
    sequential: Mapped[bool] = mapped_column(default=False)
    # The subsidy policy (config/policies/<id>.json) chosen at creation; see backend.policy.
    policy_id: Mapped[str] = mapped_column(sa.String(64), default=lambda: choose_policy_id())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    enterprise: Mapped[Enterprise] = relationship()
    institution: Mapped[Institution | None] = relationship()
    platform: Mapped[Platform | None] = relationship()
    plan_rows: Mapped[list[CoursePlanRow]] = relationship(
        back_populates="project", order_by="CoursePlanRow.position", cascade="all, delete-orphan"
    )
    course_links: Mapped[list[ProjectCourse]] = relationship(
        back_populates="project", order_by="ProjectCourse.position", cascade="all, delete-orphan"
    )

    @property
    def courses(self) -> list[Course]:
        """The attached courses in the project's order."""
        return [link.course for link in self.course_links]

    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="dates_ordered"),)

    @property
    def person_mobile(self) -> str:
        """The person in charge's mobile, masked (138****5678); the full one: pii.reveal_*."""
        return masked_mobile(self.person_mobile_enc)

    @person_mobile.setter
    def person_mobile(self, mobile: str) -> None:
        self.person_mobile_enc, self.person_mobile_hash = seal(mobile)


class CoursePlanRow(db.Model):
    """A row of the filed online training plan (线上培训计划)."""

    __tablename__ = "course_plan_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    resource_name: Mapped[str] = mapped_column(sa.String(200))
    key_content: Mapped[str] = mapped_column(sa.Text, default="")
    resource_form: Mapped[ResourceForm] = mapped_column(enum_column(ResourceForm))
    duration_minutes: Mapped[int]

    project: Mapped[Project] = relationship(back_populates="plan_rows")


class LessonKind(enum.StrEnum):
    """What a lesson's file is: the kind decides how its length is known."""

    VIDEO = "video"  # duration read from the file
    AUDIO = "audio"  # duration read from the file
    DOCUMENT = "document"  # a PDF: pages read from the file, reading time set by the admin


class Course(db.Model):
    """A course (课程) of an enterprise's library, attached to any of its projects."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # A retired course can no longer be attached; projects that have it keep it.
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    enterprise: Mapped[Enterprise] = relationship()
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="[Lesson.position, Lesson.id]"
    )

    @property
    def live_lessons(self) -> list[Lesson]:
        """The lessons trainees can open, in order."""
        return [lesson for lesson in self.lessons if not lesson.retired]


class ProjectCourse(db.Model):
    """A course attached to a project, at a position in the project's course list."""

    __tablename__ = "project_course"

    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    project: Mapped[Project] = relationship(back_populates="course_links")
    course: Mapped[Course] = relationship()


class Lesson(db.Model):
    """A lesson (课节): the unit a trainee checks in to; credit never exceeds its duration."""

    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[LessonKind] = mapped_column(enum_column(LessonKind), default=LessonKind.VIDEO)
    # Video and audio: read from the file. Documents: the reading time the admin sets.
    duration_s: Mapped[int]
    page_count: Mapped[int | None]
    # Where the file is in media storage (backend/services/media); empty for none.
    media_key: Mapped[str] = mapped_column(sa.String(300), default="")
    media_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    media_content_type: Mapped[str] = mapped_column(sa.String(100), default="")
    media_filename: Mapped[str] = mapped_column(sa.String(255), default="")
    # A lesson someone learned is retired, never deleted: its spans keep pointing at it.
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    course: Mapped[Course] = relationship(back_populates="lessons")

    __table_args__ = (sa.CheckConstraint("duration_s > 0", name="duration_positive"),)

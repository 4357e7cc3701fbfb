"""Request and response models of the course library, lessons and a project's course list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from backend.api import MAX_ID, RequestModel, ResponseModel
from backend.models import LessonKind
from backend.services.plain_text import TEXT_PATTERN

PLAIN_TEXT = TEXT_PATTERN
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=PLAIN_TEXT)]
Summary = Annotated[str, Field(max_length=2000, pattern=PLAIN_TEXT)]
# A document's reading time: at most 10 hours.
ReadingSeconds = Annotated[int, Field(ge=60, le=36000)]


class CourseIn(RequestModel):
    """A new course of an enterprise's library."""

    enterprise_id: int = Field(ge=1, le=MAX_ID)
    name: Name
    summary: Summary = ""


class CoursePatch(RequestModel):
    """Changes to a course; absent fields stay."""

    name: Name | None = None
    summary: Summary | None = None


class CourseQuery(RequestModel):
    """Filters of the course library."""

    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    include_retired: bool = False


class MediaOut(ResponseModel):
    """The stored file of a lesson, as the server checked it."""

    bytes: int
    content_type: str
    filename: str


class LessonOut(ResponseModel):
    """A lesson of a course."""

    id: int
    course_id: int
    title: str
    position: int
    kind: LessonKind
    duration_s: int = Field(description="Read from the file (video, audio); set (document).")
    page_count: int | None
    retired: bool
    media: MediaOut | None


class CourseOut(ResponseModel):
    """A library course with its lessons."""

    id: int
    enterprise_id: int
    name: str
    summary: str
    retired: bool
    duration_s: int = Field(description="Sum of its live lessons' durations.")
    lessons: list[LessonOut]


class CourseListOut(ResponseModel):
    """Courses of the libraries the admin may see."""

    courses: list[CourseOut]


class ProjectCourseOut(CourseOut):
    """A course as attached to a project."""

    position: int


class ProjectCoursesOut(ResponseModel):
    """A project's courses in its order."""

    project_id: int
    courses: list[ProjectCourseOut]


class AttachIn(RequestModel):
    """Attach a library course at the end of the project's list."""

    course_id: int = Field(ge=1, le=MAX_ID)


class OrderIn(RequestModel):
    """The project's course ids in the wanted order (each attached course exactly once)."""

    course_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(max_length=500)


class LessonForm(RequestModel):
    """The text fields of a lesson upload (the file is the field ``file``)."""

    title: Name
    kind: LessonKind
    duration_s: ReadingSeconds | None = Field(
        default=None, description="Documents only: the reading time in seconds."
    )


class LessonFromUploadIn(LessonForm):
    """A lesson whose file the browser put in the bucket (S3 mode) with a presigned form."""

    upload_id: str = Field(pattern=r"^[0-9a-f]{32}$")


class LessonPatch(RequestModel):
    """Changes to a lesson; absent fields stay. Multipart may carry a new ``file``."""

    title: Name | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    duration_s: ReadingSeconds | None = None
    upload_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")


class UploadIn(RequestModel):
    """A file the browser is about to upload straight to the bucket."""

    filename: str = Field(min_length=1, max_length=255, pattern=PLAIN_TEXT)
    bytes: int = Field(ge=0)


class UploadOut(ResponseModel):
    """A presigned form: POST ``fields`` plus the file (last) to ``url``."""

    upload_id: str
    url: str
    fields: dict[str, str]
    expires_at: datetime


class LessonRemovedOut(ResponseModel):
    """What happened to a lesson asked to be deleted."""

    id: int
    deleted: bool = Field(description="False: it had learning records and was retired instead.")
    retired: bool

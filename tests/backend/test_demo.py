"""The demo seed creates a usable, valid data set once."""

from sqlalchemy import func, select

from backend import pii
from backend.demo import seed_demo
from backend.models import (
    AdminUser,
    Certificate,
    CreditedSpan,
    Enrolment,
    Lesson,
    ProjectCourse,
    Question,
    Quiz,
    Trainee,
)
from backend.services.learning import record_chain
from backend.validation import validate_resident_id
from tests.certificate_helpers import assert_signed_whole


def test_seed_demo_is_valid_and_idempotent(app, make):
    first = seed_demo()
    make.session.commit()
    assert first["created"] is True
    assert seed_demo()["created"] is False
    trainees = make.session.scalars(select(Trainee)).all()
    assert len(trainees) == 5
    for trainee in trainees:
        plain = pii.cipher().decrypt(trainee.id_number_enc)
        assert validate_resident_id(plain, trainee.gender.value) == plain
    count = lambda model: make.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    # The closed project enrols three of them again and has two lessons of its own.
    assert count(Enrolment) == 5 + 3
    assert count(Lesson) == 8 + 2
    assert count(Question) == 6  # four for quizzes, two in the attention pool
    assert count(Quiz) == 2
    assert count(AdminUser) == 3
    # Every lesson plays a real generated video of its length; some learning happened.
    storage = app.extensions["media_storage"]
    current = select(Lesson).join(ProjectCourse, ProjectCourse.course_id == Lesson.course_id)
    for lesson in make.session.scalars(
        current.where(ProjectCourse.project_id == first["project_id"])
    ):
        assert lesson.duration_s == 2700 and storage.size(lesson.media_key) == lesson.media_bytes
    assert count(CreditedSpan) == 12 + 4
    assert record_chain.verify(first["project_id"]).ok

    # The closed project: certificates for the two who learned, signed and verifiable.
    certificates = make.session.scalars(
        select(Certificate).where(Certificate.project_id == first["closed_project_id"])
    ).all()
    assert len(certificates) == 2
    for certificate in certificates:
        assert_signed_whole(certificate.pdf, app.config["SIGNING_CERT_PATH"])


def test_demo_project_is_filed_and_approved_the_apps_way(app, make):
    from backend.models import AuditLog, Course, Enterprise, Project, ProjectStatus, SupportThread
    from backend.services.content import library
    from backend.services.projects import filing_document

    seeded = seed_demo()
    make.session.commit()
    project = make.session.get(Project, seeded["project_id"])
    assert project.status is ProjectStatus.APPROVED and project.filing_snapshot is not None
    actions = set(make.session.scalars(select(AuditLog.action)))
    assert {"project.submit", "project.review"} <= actions
    names = [row.resource_name for row in filing_document.shown_filing(project).plan_rows]
    assert names == ["安全生产基础", "质量管理入门"]  # each course once

    # A course attached afterwards is not in what was filed.
    hr = make.session.scalar(select(AdminUser).where(AdminUser.username == "hr"))
    course = Course(enterprise_id=project.enterprise_id, name="新课程", summary="后加")
    course.lessons = [Lesson(title="新课节", position=1, duration_s=600)]
    make.session.add(course)
    make.session.flush()
    library.attach(project, course, hr, client_address="")
    rows = filing_document.filing_form(project)["plan_rows"]
    assert "新课程" in [row["resource_name"] for row in rows]
    make.session.commit()
    assert [r.resource_name for r in filing_document.shown_filing(project).plan_rows] == names

    # The enterprise is in Guangzhou, and so is its credit code; the inbox is not empty.
    enterprise = make.session.get(Enterprise, seeded["enterprise_id"])
    assert enterprise.credit_code.startswith("914401") and enterprise.city_code == "4401"
    threads = make.session.scalars(select(SupportThread)).all()
    assert len(threads) == 3 and {t.status for t in threads} == {"open", "answered"}

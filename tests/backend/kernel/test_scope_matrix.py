"""Every model in the kernel's scope tables × another enterprise's admin and trainee: the object
is 404 to them and found by its own side. The builders must cover every model in the tables, so
a model added to a table without a case here fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.kernel.errors import NotFoundError
from backend.kernel.scope import (
    ENTERPRISE_PATHS,
    TRAINEE_PATHS,
    get_for_trainee,
    get_scoped,
    project_roster,
)
from backend.models import (
    AdminUser,
    AttentionCheck,
    Certificate,
    CheckKind,
    Claim,
    ClaimLine,
    Course,
    Enrolment,
    Enterprise,
    Evaluation,
    FaceCheck,
    FaceCheckTrigger,
    LearningSession,
    Lesson,
    Project,
    Question,
    Quiz,
    QuizAttempt,
    Role,
    SupportThread,
    Trainee,
)
from backend.services.support import threads as support

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def world(make):
    """One of everything in enterprise A, owned by A's trainee; B with its admin and trainee."""
    a, b = make.enterprise(name="甲企业"), make.enterprise(name="乙企业")
    project = make.project(a)
    course = make.course(project)
    lesson = make.lesson(course)
    trainee = make.trainee(a)
    enrolment = make.enrol(trainee, project)
    quiz = make.quiz(project)
    session = make.ended_session(trainee, lesson, AT, 600)
    make.session.flush()
    later = AT + timedelta(minutes=5)
    objects = {
        Enterprise: a,
        Project: project,
        Trainee: trainee,
        Enrolment: enrolment,
        Course: course,
        Lesson: lesson,
        Question: make.question(course),
        Quiz: quiz,
        LearningSession: session,
        SupportThread: support.create_thread(trainee, "无法播放", "打不开"),
        AdminUser: make.admin(Role.ENTERPRISE_ADMIN, enterprise=a),
        QuizAttempt: QuizAttempt(
            quiz_id=quiz.id, trainee_id=trainee.id, question_ids=[], option_orders={}
        ),
        Evaluation: Evaluation(
            project_id=project.id,
            trainee_id=trainee.id,
            overall=5,
            content=5,
            teaching=5,
            platform=5,
        ),
        Claim: Claim(project_id=project.id, policy_id="guangdong-2020", digest="0" * 64),
        AttentionCheck: AttentionCheck(
            session_id=session.id,
            trainee_id=trainee.id,
            kind=CheckKind.CODE,
            expected="1234",
            issued_at=AT,
            expires_at=later,
        ),
        FaceCheck: FaceCheck(
            trainee_id=trainee.id,
            project_id=project.id,
            session_id=session.id,
            trigger=FaceCheckTrigger.CHECK_IN,
            out_seq_no="sg-matrix",
            verify_id="v",
            issued_at=AT,
            expires_at=later,
        ),
    }
    for obj in objects.values():
        make.session.add(obj)
    make.session.flush()
    line = ClaimLine(
        claim_id=objects[Claim].id,
        trainee_id=trainee.id,
        seq=1,
        name=trainee.name,
        credited_s=0,
        class_hours=0,
        subsidizable_hours=0,
        subsidy_fen=0,
        assessment="无考核",
        qualifies=True,
    )
    make.session.add(line)
    make.session.flush()
    objects[Certificate] = Certificate(
        serial="GD2026-2222-3333-4444",
        project_id=project.id,
        trainee_id=trainee.id,
        claim_line_id=line.id,
        fields={},
        pdf=b"%PDF",
        pdf_sha256="0" * 64,
    )
    make.session.add(objects[Certificate])
    people = {
        "own admin": objects[AdminUser],
        "operator": make.admin(Role.OPERATOR),
        "other admin": make.admin(Role.ENTERPRISE_ADMIN, enterprise=b),
        "own trainee": trainee,
        "other trainee": make.trainee(b),
    }
    # B's trainee is enrolled in a project of B: enrolled somewhere, just not here.
    make.enrol(people["other trainee"], make.project(b))
    make.session.commit()
    return objects, people


def test_the_cases_cover_both_tables(world):
    objects, _ = world
    assert set(ENTERPRISE_PATHS) <= set(objects)
    assert set(TRAINEE_PATHS) <= set(objects)


@pytest.mark.parametrize("model", list(ENTERPRISE_PATHS), ids=lambda m: m.__name__)
def test_another_enterprises_admin_gets_404(world, model):
    objects, people = world
    obj = objects[model]
    assert get_scoped(model, obj.id, people["own admin"]) is obj
    assert get_scoped(model, obj.id, people["operator"], lock=True) is obj
    with pytest.raises(NotFoundError):
        get_scoped(model, obj.id, people["other admin"])
    with pytest.raises(NotFoundError):
        get_scoped(model, obj.id, people["other admin"], lock=True)


@pytest.mark.parametrize("model", list(TRAINEE_PATHS), ids=lambda m: m.__name__)
def test_another_enterprises_trainee_gets_404(world, model):
    objects, people = world
    obj = objects[model]
    assert get_for_trainee(model, obj.id, people["own trainee"]) is obj
    assert get_for_trainee(model, obj.id, people["own trainee"], lock=True) is obj
    with pytest.raises(NotFoundError) as refused:
        get_for_trainee(model, obj.id, people["other trainee"], message="没有这个")
    assert refused.value.message == "没有这个"


def test_a_project_roster_shows_only_its_own_enterprises_trainees(world, make):
    objects, people = world
    project = objects[Project]
    # A stray enrolment of B's trainee in A's project (bad data, an old import) stays hidden.
    make.enrol(people["other trainee"], project)
    make.session.commit()
    roster = make.session.scalars(project_roster(project)).all()
    assert roster == [objects[Trainee]]

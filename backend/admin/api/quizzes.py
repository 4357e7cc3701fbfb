"""Admin JSON API for quizzes and their reports: per trainee, per quiz, evaluations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.admin.scope import get_project_or_404
from backend.api import MAX_ID, RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Quiz, QuizKind
from backend.services.plain_text import user_text
from backend.services.practice import evaluations, quiz_reports, quizzes


class QuizIn(RequestModel):
    """A new quiz; leave course_id empty for a quiz over the whole project's banks."""

    title: user_text(200)
    kind: QuizKind
    course_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    attempt_limit: Annotated[int, Field(ge=1, le=100)] | None = None
    time_limit_s: Annotated[int, Field(ge=60, le=24 * 3600)] | None = None
    pass_score: Annotated[int, Field(ge=0, le=100)] = 60
    question_count: Annotated[int, Field(ge=1, le=200)] = 10
    shuffle_options: bool = True


class QuizOut(ResponseModel):
    """A quiz's settings."""

    id: int
    project_id: int
    course_id: int | None
    title: str
    kind: QuizKind
    attempt_limit: int | None
    time_limit_s: int | None
    pass_score: int
    question_count: int
    shuffle_options: bool
    created_at: datetime
    retired_at: datetime | None = None


class QuizListOut(ResponseModel):
    """A project's quizzes."""

    quizzes: list[QuizOut]


class ItemOut(ResponseModel):
    """Item analysis of one question."""

    question_id: int
    stem: str
    attempts: int
    correct: int
    correct_rate: float


class QuizStatisticsOut(ResponseModel):
    """Average score, pass rate and item analysis of a quiz's submitted attempts."""

    quiz_id: int
    title: str
    kind: QuizKind
    attempts: int
    trainees: int
    average_score: float | None
    pass_rate: float | None
    items: list[ItemOut]


class TraineeQuizOut(ResponseModel):
    """A trainee's standing in one quiz."""

    quiz_id: int
    title: str
    kind: QuizKind
    attempts: int
    best_score: int | None
    passed: bool


class EvaluationOut(ResponseModel):
    """One trainee's evaluation."""

    trainee_id: int
    overall: int
    content: int
    teaching: int
    platform: int
    comment: str
    updated_at: datetime


class TraineeRowOut(ResponseModel):
    """A trainee's quizzes and evaluation."""

    trainee_id: int
    name: str
    quizzes: list[TraineeQuizOut]
    assessment_passed: bool
    evaluation: EvaluationOut | None


class ProjectQuizReportOut(ResponseModel):
    """Per trainee rows of a project."""

    project_id: int
    assessment_required: bool
    trainees: list[TraineeRowOut]


class AveragesOut(ResponseModel):
    """Average of each rating (one decimal)."""

    overall: float | None
    content: float | None
    teaching: float | None
    platform: float | None


class EvaluationReportOut(ResponseModel):
    """A project's evaluations and their averages."""

    project_id: int
    count: int
    averages: AveragesOut
    evaluations: list[EvaluationOut]


@bp.get("/projects/<id:project_id>/quizzes")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="项目的测验", response=QuizListOut, auth=None)
def admin_list_quizzes(project_id: int):
    project = get_project_or_404(project_id, current_admin())
    return QuizListOut(quizzes=quizzes.project_quizzes(project.id, retired=True))


@bp.post("/projects/<id:project_id>/quizzes")
@require_permission(Permission.MANAGE_CONTENT)
@endpoint(summary="新建练习或考核", body=QuizIn, response=QuizOut, status=201, auth=None)
def admin_create_quiz(project_id: int, body: QuizIn):
    admin = current_admin()
    project = get_project_or_404(project_id, admin)
    settings = quizzes.QuizSettings(**body.model_dump())
    quiz = quizzes.create_quiz(project, settings, admin, client_address=client_address())
    out = QuizOut.model_validate(quiz)
    db.session.commit()
    return out


@bp.get("/quizzes/<id:quiz_id>/statistics")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="测验统计与试题分析", response=QuizStatisticsOut, auth=None)
def admin_quiz_statistics(quiz_id: int):
    statistics = quiz_reports.quiz_statistics(
        get_scoped(Quiz, quiz_id, current_admin(), message="测验不存在")
    )
    db.session.commit()  # attempts found past their deadline were scored
    return statistics


@bp.get("/projects/<id:project_id>/quiz-report")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="学员测验与评价情况", response=ProjectQuizReportOut, auth=None)
def admin_project_quiz_report(project_id: int):
    project = get_project_or_404(project_id, current_admin())
    report = ProjectQuizReportOut(
        project_id=project.id,
        assessment_required=project.assessment_required,
        trainees=quiz_reports.trainee_rows(project.id),
    )
    # A read: attempts past their deadline are scored for the report only; nothing is
    # committed (the trainee's next visit scores them for good, as the dashboard counts).
    db.session.rollback()
    return report


@bp.get("/projects/<id:project_id>/evaluations")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="培训评价汇总", response=EvaluationReportOut, auth=None)
def admin_project_evaluations(project_id: int):
    project = get_project_or_404(project_id, current_admin())
    summary = evaluations.evaluation_summary(project.id)
    return EvaluationReportOut(
        project_id=project.id,
        count=summary["count"],
        averages=AveragesOut(**summary["averages"]),
        evaluations=evaluations.project_evaluations(project.id),
    )

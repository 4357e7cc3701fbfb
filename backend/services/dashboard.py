"""Project dashboard figures: small read-only queries the dashboard page and charts are built on.

Quiz and evaluation figures come from the quiz engineer's services (``quizzes``,
``evaluations``). Class hours and subsidy come from ``credited_seconds_by_trainee`` and
``trainee_hours``: they are the seam to the learning engine's ``backend/services/hours.py``.
Until that module lands on main these two use a stand-in (whole class hours of the policy, yearly
cap per trainee); when it lands they call it instead and nothing else here changes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from backend.extensions import db
from backend.models import (
    CreditedSpan,
    Enrolment,
    Project,
    Quiz,
    QuizAttempt,
    QuizKind,
)
from backend.policy import current_policy
from backend.services import evaluations, quizzes


@dataclass(frozen=True)
class TraineeHours:
    """One trainee's learning in a project, as the dashboard shows it."""

    credited_s: int
    class_hours: int
    subsidizable_hours: int
    subsidy_fen: int


def credited_seconds_by_trainee(
    project_id: int, trainee_ids: list[int] | None = None
) -> dict[int, int]:
    """Credited seconds per trainee in a project (only ``trainee_ids`` when given)."""
    query = (
        select(CreditedSpan.trainee_id, func.sum(CreditedSpan.seconds))
        .where(CreditedSpan.project_id == project_id)
        .group_by(CreditedSpan.trainee_id)
    )
    if trainee_ids is not None:
        if not trainee_ids:
            return {}
        query = query.where(CreditedSpan.trainee_id.in_(trainee_ids))
    return {trainee_id: int(seconds or 0) for trainee_id, seconds in db.session.execute(query)}


def trainee_hours(credited_s: int) -> TraineeHours:
    """Class hours, subsidizable hours and subsidy for a trainee's credited seconds (stand-in)."""
    # Stand-in for backend/services/hours.py (issue 4), which owns the class-hour rule.
    policy = current_policy()
    hours = credited_s // policy.seconds_per_class_hour
    cap_hours = policy.yearly_cap_fen_per_trainee // policy.fen_per_class_hour
    subsidizable = min(hours, cap_hours)
    subsidy = min(subsidizable * policy.fen_per_class_hour, policy.yearly_cap_fen_per_trainee)
    return TraineeHours(credited_s, hours, subsidizable, subsidy)


def reached_planned_seconds(project: Project) -> int:
    """Credited seconds at which a trainee has reached the project's planned class hours."""
    return project.planned_class_hours * current_policy().seconds_per_class_hour


def enrolled_count(project_id: int) -> int:
    """Trainees enrolled in the project."""
    query = select(func.count()).select_from(Enrolment).where(Enrolment.project_id == project_id)
    return db.session.scalar(query) or 0


def assessment_results(project_id: int) -> tuple[int, int]:
    """Trainees who submitted an assessment of the project, and those who passed (quiz service)."""
    passed = quizzes.assessment_passed_by_trainee(project_id)
    submitted = set(
        db.session.scalars(
            select(QuizAttempt.trainee_id)
            .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
            .where(
                Quiz.project_id == project_id,
                Quiz.kind == QuizKind.ASSESSMENT,
                QuizAttempt.submitted_at.is_not(None),
            )
            .distinct()
        )
    )
    return len(submitted), sum(1 for trainee_id in submitted if passed.get(trainee_id))


def project_summary(project: Project) -> dict:
    """The dashboard's headline figures for a project."""
    seconds = credited_seconds_by_trainee(project.id)
    hours = [trainee_hours(s) for s in seconds.values()]
    threshold = reached_planned_seconds(project)
    submitted, passed = assessment_results(project.id)
    return {
        "enrolled": enrolled_count(project.id),
        "started": sum(1 for s in seconds.values() if s > 0),
        "completed": sum(1 for s in seconds.values() if s >= threshold),
        "class_hours": sum(h.class_hours for h in hours),
        "subsidizable_hours": sum(h.subsidizable_hours for h in hours),
        "subsidy_fen": sum(h.subsidy_fen for h in hours),
        "assessment_submitted": submitted,
        "assessment_passed": passed,
        "pass_rate": round(100 * passed / submitted, 1) if submitted else None,
        "evaluation": evaluations.evaluation_summary(project.id),
    }


def _cst_day(column):
    """SQL for the China-time calendar day of a UTC timestamp column, as 'YYYY-MM-DD' text."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return func.date(column, "+8 hours")  # SQLite keeps UTC without a zone


def credited_seconds_per_day(project_id: int) -> dict[date, int]:
    """Credited seconds of the project per China-time calendar day (by a span's start)."""
    day = _cst_day(CreditedSpan.start_at)
    rows = db.session.execute(
        select(day, func.sum(CreditedSpan.seconds))
        .where(CreditedSpan.project_id == project_id)
        .group_by(day)
        .order_by(day)
    )
    return {date.fromisoformat(str(d)): int(seconds) for d, seconds in rows}


def hours_distribution(project: Project) -> list[tuple[str, int]]:
    """Enrolled trainees by class hours earned: 0, 1, …, planned−1 and planned or more."""
    seconds = credited_seconds_by_trainee(project.id)
    planned = max(project.planned_class_hours, 1)
    buckets = Counter(min(trainee_hours(s).class_hours, planned) for s in seconds.values())
    buckets[0] += enrolled_count(project.id) - len(seconds)
    labels = [f"{h} 课时" for h in range(planned)] + [f"≥{planned} 课时"]
    return [(label, buckets.get(h, 0)) for h, label in enumerate(labels)]

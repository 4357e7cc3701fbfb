"""Project dashboard figures: small read-only queries the dashboard page and charts are built on.

Class hours and subsidy come from the learning engine's ``hours`` service, quiz and evaluation
figures from ``services.practice.assessment`` and ``evaluations``: nothing here re-states their
rules, it only counts and groups their answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from backend.clock import local_date
from backend.extensions import db
from backend.models import Project, Quiz, QuizAttempt, QuizKind
from backend.policy import policy_for
from backend.services import hours
from backend.services.learning import live_status
from backend.services.practice import assessment, evaluations


def credited_seconds_by_trainee(
    project: Project, trainee_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """Credited seconds within the project's dates per trainee (only ``trainee_ids`` if given)."""
    if trainee_ids is not None:
        trainee_ids = list(trainee_ids)
        if not trainee_ids:
            return {}
    return hours.project_credit_seconds(project, trainee_ids)


def trainee_credit_s(project: Project, trainee_id: int) -> int:
    """A trainee's credited seconds in the project, with learning in progress not stored yet."""
    # The stored figure first, then what Redis holds beyond it (see live_status.unstored_s).
    stored = credited_seconds_by_trainee(project, [trainee_id]).get(trainee_id, 0)
    return stored + live_status.unstored_s(trainee_id=trainee_id).get((trainee_id, project.id), 0)


def trainee_hours(project: Project, credited_s: int) -> hours.HourFigures:
    """A trainee's class hours in the project for their credited seconds."""
    return hours.hour_figures(credited_s, project.planned_class_hours, policy_for(project))


def reached_planned_seconds(project: Project) -> int:
    """The least credited seconds whose class hours reach the project's planned class hours."""
    return hours.seconds_for_class_hours(project.planned_class_hours, policy_for(project))


def assessment_results(project_id: int) -> tuple[int, int]:
    """Trainees who submitted an assessment of the project, and those who passed (quiz service)."""
    passed = assessment.assessment_passed_by_trainee(project_id)
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
    sheet = hours.project_sheet(project)
    # Learning in progress counts: credit the drain has not written yet, read after the sheet.
    extra = live_status.unstored_s(project=project)
    for (trainee_id, _), seconds in extra.items():
        line = sheet.get(trainee_id)
        if line is None:
            continue  # not enrolled any more
        figures = trainee_hours(project, line.credited_s + seconds)
        sheet[trainee_id] = line._replace(
            credited_s=figures.credited_s, class_hours=figures.class_hours
        )
    lines = sheet.values()
    submitted, passed = assessment_results(project.id)
    live = live_status.learning_now(project)
    started = {trainee_id for trainee_id, line in sheet.items() if line.credited_s > 0}
    return {
        "enrolled": len(lines),
        # Someone learning now for the first time has credit only in the live state so far.
        "started": len(started | {t for t, s in live.items() if s.credited_s > 0}),
        "learning_now": len(live),
        "completed": sum(1 for line in lines if line.class_hours >= project.planned_class_hours),
        "class_hours": sum(line.class_hours for line in lines),
        # After the yearly cap shared with the person's other projects, as the filing exports.
        "subsidizable_hours": sum(line.subsidizable_hours for line in lines),
        "subsidy_fen": sum(line.subsidy_fen for line in lines),
        "assessment_submitted": submitted,
        "assessment_passed": passed,
        "pass_rate": round(100 * passed / submitted, 1) if submitted else None,
        "evaluation": evaluations.evaluation_summary(project.id),
    }


def class_hours_per_day(project: Project) -> dict[date, int]:
    """Class hours earned in the project per China-time day (the moment each hour completed)."""
    per_day = Counter(local_date(hour.earned_at) for hour in hours.earned_hours(project))
    return dict(sorted(per_day.items()))


def hours_distribution(project: Project) -> list[tuple[str, int]]:
    """Enrolled trainees by class hours earned: 0, 1, …, planned−1 and planned or more."""
    planned = max(project.planned_class_hours, 1)
    buckets = Counter(min(f.class_hours, planned) for f in hours.project_hours(project).values())
    labels = [f"{h} 课时" for h in range(planned)] + [f"≥{planned} 课时"]
    return [(label, buckets.get(h, 0)) for h, label in enumerate(labels)]

"""A project's evaluations: averages per rating, how the ratings spread, comments in pages."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from backend.admin.auth import current_admin, require_permission
from backend.admin.pages.base import bp
from backend.extensions import db
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped
from backend.models import Project, Trainee
from backend.services.practice import evaluations

RATING_NAMES = {
    "overall": "总体评价",
    "content": "培训内容",
    "teaching": "师资讲解",
    "platform": "平台使用",
}


class Page:
    """One page of a list, as the pagination macro reads it."""

    def __init__(self, rows: list, page: int, total: int, per_page: int) -> None:
        self.rows, self.page, self.total = rows, page, total
        self.pages = max(1, -(-total // per_page))


@bp.get("/projects/<id:project_id>/evaluations")
@require_permission(Permission.VIEW_PROJECT)
def project_evaluations(project_id: int):
    """Averages, distributions and the comments of a project's evaluations."""
    project = get_scoped(Project, project_id, current_admin())
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    rows, total = evaluations.comments_page(project.id, page)
    names = dict(
        db.session.execute(
            select(Trainee.id, Trainee.name).where(Trainee.id.in_([e.trainee_id for e in rows]))
        ).all()
    )
    return render_template(
        "admin/evaluations.html",
        project=project,
        summary=evaluations.evaluation_summary(project.id),
        distribution=evaluations.rating_distribution(project.id),
        rating_names=RATING_NAMES,
        comments=Page(rows, page, total, evaluations.COMMENTS_PER_PAGE),
        names=names,
    )

"""The data behind the dashboard's charts, scoped like every admin view."""

from __future__ import annotations

from backend.admin.api.blueprint import bp
from backend.admin.auth import current_admin, require_permission
from backend.admin.scope import get_project_or_404
from backend.api import ResponseModel, endpoint
from backend.kernel.permissions import Permission
from backend.services.people import dashboard


class Series(ResponseModel):
    """Labels and one value per label."""

    labels: list[str]
    values: list[float]


class DashboardChartsOut(ResponseModel):
    """Class hours earned per China-time day, and enrolled trainees by class hours."""

    hours_per_day: Series
    trainees_by_hours: Series


@bp.get("/projects/<id:project_id>/charts")
@require_permission(Permission.VIEW_PROJECT)
@endpoint(summary="项目看板图表数据", response=DashboardChartsOut, auth=None)
def project_charts(project_id: int):
    project = get_project_or_404(project_id, current_admin())
    per_day = dashboard.class_hours_per_day(project)
    distribution = dashboard.hours_distribution(project)
    return DashboardChartsOut(
        hours_per_day=Series(
            labels=[day.isoformat() for day in per_day],
            values=list(per_day.values()),
        ),
        trainees_by_hours=Series(
            labels=[label for label, _ in distribution],
            values=[count for _, count in distribution],
        ),
    )

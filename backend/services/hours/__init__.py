"""Class hours and subsidy: the one place that turns credited seconds into hours and fen.

Every figure comes from the stored credited spans (CreditedSpan), so it can be explained span by
span. The admin dashboard and the filing exports call these functions; the mini-program too.
``figures`` turns credit into class hours, ``subsidy`` pays them under the yearly cap per person,
``sheet`` gives a whole project's lines in one pass.
"""

from backend.services.hours.figures import (
    EarnedHour,
    HourFigures,
    earned_hours,
    hour_figures,
    project_credit_seconds,
    project_hours,
    project_window,
    seconds_for_class_hours,
    trainee_hours,
)
from backend.services.hours.sheet import NO_CREDIT, SheetLine, project_sheet, sheet_rows
from backend.services.hours.subsidy import (
    Allocation,
    PersonYear,
    project_subsidies,
    trainee_years,
    yearly_subsidies,
)

__all__ = [
    "NO_CREDIT",
    "Allocation",
    "EarnedHour",
    "HourFigures",
    "PersonYear",
    "SheetLine",
    "earned_hours",
    "hour_figures",
    "project_credit_seconds",
    "project_hours",
    "project_sheet",
    "project_subsidies",
    "project_window",
    "seconds_for_class_hours",
    "sheet_rows",
    "trainee_hours",
    "trainee_years",
    "yearly_subsidies",
]

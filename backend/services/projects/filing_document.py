"""附件1 as a document: the fields it shows, its snapshot taken at submit (``filing_form``)
and what the pages and the export show of it (``shown_filing``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import SimpleNamespace

from backend import pii, pii_fields
from backend.kernel.lifecycle import Activity, allows
from backend.models import Project, ResourceForm, TrainingType
from backend.services.content import plan

ENTERPRISE_FIELDS = (
    "name",
    "registered_address",
    "legal_representative",
    "contact_phone",
    "received_affected_subsidy",
)
INSTITUTION_FIELDS = ("name", "registered_address", "person_in_charge", "phone")
PLATFORM_FIELDS = ("name", "icp_number", "url_or_package", "ip_address", "server_city")
PROJECT_FIELDS = (
    "name",
    "post_trade",
    "planned_headcount",
    "method",
    "start_date",
    "end_date",
    "planned_class_hours",
    "person_in_charge",
    "person_mobile",
    "goal",
)
_PLAIN_PROJECT_FIELDS = tuple(key for key in PROJECT_FIELDS if key != "person_mobile")
CREDIT_CODE_FIELDS = ("credit_code", "credit_code_override_reason")
PLAN_ROW_FIELDS = ("resource_name", "key_content", "resource_form", "duration_minutes")


def _json(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _pick(holder: object | None, fields: tuple[str, ...]) -> dict | None:
    if holder is None:
        return None
    return {key: _json(getattr(holder, key)) for key in fields}


def filing_form(project: Project) -> dict:
    """Everything 附件1 shows of ``project``, read from its live rows, as JSON-ready data."""
    return {
        "enterprise": _pick(project.enterprise, (*CREDIT_CODE_FIELDS, *ENTERPRISE_FIELDS)),
        "institution": _pick(project.institution, (*CREDIT_CODE_FIELDS, *INSTITUTION_FIELDS)),
        "platform": _pick(project.platform, PLATFORM_FIELDS),
        # The mobile stays encrypted in the stored snapshot, as in the project's row.
        "project": _pick(project, ("training_type", *_PLAIN_PROJECT_FIELDS))
        | {"person_mobile_enc": project.person_mobile_enc},
        # The project's courses first, then the rows written by hand (此栏目内容可根据实际情况增加).
        "plan_rows": _plan(project),
        # The filed rules stay the rules of the project (backend.policy.policy_for).
        "policy_id": project.policy_id,
    }


def _plan(project: Project) -> list[dict]:
    """附件1's plan: one row per course, then the hand-written rows that name no course of the
    project (a row repeating a course would list it twice)."""
    rows = plan.course_rows(project)
    courses = {row["resource_name"].strip() for row in rows}
    return rows + [
        _pick(row, PLAN_ROW_FIELDS)
        for row in project.plan_rows
        if row.resource_name.strip() not in courses
    ]


@dataclass(frozen=True)
class ShownFiling:
    """附件1 as the export and the pages show it; ``filed_at`` is set when it is the snapshot."""

    enterprise: SimpleNamespace
    institution: SimpleNamespace | None
    platform: SimpleNamespace | None
    project: SimpleNamespace
    plan_rows: list[SimpleNamespace]
    filed_at: datetime | None


def shown_filing(project: Project) -> ShownFiling:
    """附件1 of ``project``: as submitted once filed, approved or closed; live before that."""
    snapshot = None if allows(project, Activity.EDIT_FILING) else project.filing_snapshot
    # Projects filed before snapshots existed have none: they show their live rows, as before.
    data = snapshot or filing_form(project)
    fields = dict(data["project"])
    # On screen the mobile is masked; the export that files it in full reveals ``sealed``.
    sealed = pii.sealed_filing_mobile(fields)
    fields.pop("person_mobile_enc", None)
    shown_project = fields | {
        "person_mobile": pii_fields.masked_mobile(sealed),
        "person_mobile_sealed": sealed,
        "training_type": TrainingType(fields["training_type"]),
        "start_date": date.fromisoformat(fields["start_date"]),
        "end_date": date.fromisoformat(fields["end_date"]),
    }
    rows = [
        row
        | {
            "resource_form": ResourceForm(row["resource_form"]),
            "form_label": plan.form_label(row),
            "duration_label": plan.duration_label(row),
        }
        for row in data["plan_rows"]
    ]
    return ShownFiling(
        enterprise=SimpleNamespace(**data["enterprise"]),
        institution=_namespace(data["institution"]),
        platform=_namespace(data["platform"]),
        project=SimpleNamespace(**shown_project),
        plan_rows=[SimpleNamespace(**row) for row in rows],
        filed_at=project.filed_at if snapshot else None,
    )


def _namespace(fields: dict | None) -> SimpleNamespace | None:
    return None if fields is None else SimpleNamespace(**fields)

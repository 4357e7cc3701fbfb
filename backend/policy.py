"""The subsidy policy: numbers from data files in config/policies, never from code.

Each project records the id of its policy (``Project.policy_id``), chosen when it is created
(``choose_policy_id``) and frozen in its filing snapshot; ``policy_for(project)`` reads it. The
deployment's default policy (``SUBSIDY_POLICY``) states every key; any other policy file states
only what differs from it and is merged over it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from backend.models import Project

POLICY_DIR = Path(__file__).resolve().parent.parent / "config" / "policies"


@dataclass(frozen=True)
class SubsidyPolicy:
    """One province's (or city's) rules for class hours, subsidy and learning-time checks."""

    id: str
    title: str
    minutes_per_class_hour: int
    fen_per_class_hour: int
    yearly_cap_fen_per_trainee: int
    completion_share_percent: int
    heartbeat_interval_s: int
    max_gap_factor: int
    offline_offset_tolerance_s: int
    offline_window_s: int
    attention_check_interval_s: int
    attention_check_window_s: int
    # Face checks (人脸核身), projects may override: at check-in ("every_session",
    # "first_of_day", "never"), about every so many seconds of learning (0: none), and how long
    # an issued check stays open.
    face_check_at_check_in: str
    face_check_interval_s: int
    face_check_window_s: int
    # The most credited time per trainee per China-time day, across projects.
    daily_credit_cap_s: int
    # Integrity flags: credit at the daily maximum on at least so many days; at least so many
    # failed or cancelled face checks; an assessment passed in under so many seconds a question.
    flag_cap_days: int
    flag_face_failures: int
    flag_assessment_s_per_question: int
    # Claim rules (services/claims): where a project requires the assessment, only trainees who
    # passed it count; an enterprise whose filing says it received the affected-enterprise
    # training subsidy (受影响企业培训补助) may not claim this one.
    claim_only_passed_when_assessment_required: bool = True
    claim_barred_by_affected_subsidy: bool = False
    # PIPL: a person's data may be erased only this many days after their last project ended
    # (the filing and subsidy records must stay auditable until then).
    personal_data_retention_days: int = 1825

    @property
    def seconds_per_class_hour(self) -> int:
        """Seconds of credited time that make one class hour."""
        return self.minutes_per_class_hour * 60

    @property
    def max_gap_s(self) -> int:
        """The longest gap between beats that still earns credit."""
        return self.heartbeat_interval_s * self.max_gap_factor


KEYS = {f.name for f in fields(SubsidyPolicy)}
TEXT_KEYS = {"id", "title", "face_check_at_check_in"}
FACE_CHECK_AT = ("every_session", "first_of_day", "never")  # models.FaceCheckAt
# Yes/no rules are JSON booleans; every other number is an integer (money in fen).
BOOL_KEYS = {f.name for f in fields(SubsidyPolicy) if f.type in ("bool", bool)}


def _read(name: str, directory: Path) -> dict:
    path = directory / f"{name}.json"
    if not path.is_file() or path.parent != directory:
        raise FileNotFoundError(f"subsidy policy {name!r} not found in {directory}")
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - KEYS
    if unknown:
        raise ValueError(f"subsidy policy {name!r} has unknown keys: {sorted(unknown)}")
    return data


@cache
def load_policy(name: str, base: str | None = None, directory: Path = POLICY_DIR) -> SubsidyPolicy:
    """Read ``<directory>/<name>.json`` merged over the ``base`` policy (complete itself)."""
    data = _read(name, directory)
    if base is not None and base != name:
        data = {**_read(base, directory), **data}
    data["id"] = name
    missing = KEYS - set(data)
    if missing:
        raise ValueError(f"subsidy policy {name!r} lacks {sorted(missing)} and has no base")
    for key in BOOL_KEYS:
        if not isinstance(data[key], bool):
            raise ValueError(f"{key} of subsidy policy {name!r} must be true or false")
    for key in KEYS - TEXT_KEYS - BOOL_KEYS:
        if not isinstance(data[key], int) or isinstance(data[key], bool):
            raise ValueError(f"{key} of subsidy policy {name!r} must be an integer")
    if data["face_check_at_check_in"] not in FACE_CHECK_AT:
        raise ValueError(f"face_check_at_check_in of {name!r} must be one of {FACE_CHECK_AT}")
    return SubsidyPolicy(**data)


def default_policy_id() -> str:
    """The deployment's default policy (``SUBSIDY_POLICY``)."""
    return current_app.config["SUBSIDY_POLICY"]


def get_policy(policy_id: str) -> SubsidyPolicy:
    """The policy ``policy_id``, merged over the deployment's default."""
    return load_policy(policy_id, default_policy_id(), policy_dir())


def default_policy() -> SubsidyPolicy:
    """The deployment's default policy: for figures that belong to no single project."""
    return get_policy(default_policy_id())


def policy_dir() -> Path:
    """Where the policy files are (``SUBSIDY_POLICY_DIR``, else config/policies)."""
    return Path(current_app.config.get("SUBSIDY_POLICY_DIR") or POLICY_DIR)


def city_policy_id(city_code: str | None) -> str | None:
    """A city's own policy file (``<default>_<city code>``, e.g. Shenzhen's), if there is one."""
    if not city_code:
        return None
    name = f"{default_policy_id()}_{city_code}"
    return name if (policy_dir() / f"{name}.json").is_file() else None


def choose_policy_id(project: Project | None = None) -> str:
    """The policy a new project records: its enterprise's city's own file if the deployment has
    one (services/projects/regions gives the city), else the deployment's default."""
    enterprise = getattr(project, "enterprise", None)
    return city_policy_id(getattr(enterprise, "city_code", None)) or default_policy_id()


def project_policy_id(project: Project) -> str:
    """The policy id in force for a project: its filing snapshot's once filed, else its own."""
    snapshot = project.filing_snapshot or {}
    return snapshot.get("policy_id") or project.policy_id or default_policy_id()


def policy_for(project: Project) -> SubsidyPolicy:
    """The subsidy policy of ``project``."""
    return get_policy(project_policy_id(project))

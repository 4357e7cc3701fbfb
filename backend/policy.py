"""The subsidy policy: numbers from a data file in config/policies, never from code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import current_app

POLICY_DIR = Path(__file__).resolve().parent.parent / "config" / "policies"


@dataclass(frozen=True)
class SubsidyPolicy:
    """One province's rules for class hours, subsidy and learning-time checks."""

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

    @property
    def seconds_per_class_hour(self) -> int:
        """Seconds of credited time that make one class hour."""
        return self.minutes_per_class_hour * 60

    @property
    def max_gap_s(self) -> int:
        """The longest gap between beats that still earns credit."""
        return self.heartbeat_interval_s * self.max_gap_factor


@cache
def load_policy(name: str) -> SubsidyPolicy:
    """Read ``config/policies/<name>.json``."""
    path = POLICY_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"subsidy policy {name!r} not found in {POLICY_DIR}")
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("fen_per_class_hour", "yearly_cap_fen_per_trainee"):
        if not isinstance(data[key], int):
            raise ValueError(f"{key} must be an integer amount in fen")
    return SubsidyPolicy(**data)


def current_policy() -> SubsidyPolicy:
    """The policy configured for the running app."""
    return load_policy(current_app.config["SUBSIDY_POLICY"])

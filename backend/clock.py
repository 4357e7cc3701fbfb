"""The one clock for all server time; tests move it instead of sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# Dates on the forms and calendar years for the subsidy cap are Beijing dates.
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock:
    """Wall-clock time in UTC, frozen and moved by tests."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
        return datetime.now(UTC)

    def freeze(self, at: datetime) -> None:
        """Stop the clock at ``at`` (aware)."""
        if at.tzinfo is None:
            raise ValueError("freeze() needs an aware datetime")
        with self._lock:
            self._frozen = at.astimezone(UTC)

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move a frozen clock forward and return the new time."""
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("advance() needs a frozen clock")
            self._frozen += timedelta(seconds=seconds, **delta)
            return self._frozen

    def unfreeze(self) -> None:
        """Return to real time."""
        with self._lock:
            self._frozen = None


clock = Clock()


def now() -> datetime:
    """Return the current server time (aware UTC)."""
    return clock.now()


def today() -> date:
    """Return today's date in China Standard Time."""
    return clock.now().astimezone(LOCAL_TZ).date()


def local_date(at: datetime) -> date:
    """Return the China Standard Time date of an aware datetime."""
    return at.astimezone(LOCAL_TZ).date()

"""Domain errors: services raise a code; one table maps each code to an HTTP status and a
Chinese message, for the JSON API and for the admin pages alike."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """A business rule refused the request; ``code`` is a key of ``ERRORS``."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        details: list | None = None,
        headers: dict[str, str] | None = None,
        **params,
    ) -> None:
        if code not in ERRORS:
            raise KeyError(f"unknown domain error code {code!r}: add it to ERRORS")
        super().__init__(code)
        self.code = code
        self.params = params
        self.details = details
        self.headers = headers or {}
        spec = ERRORS[code]
        self.status = spec.status
        self.message = message or spec.message.format(**params)


class NotFoundError(DomainError):
    """The object does not exist or the caller may not see it (never says which)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__("not_found", message)


@dataclass(frozen=True)
class ErrorSpec:
    """How one domain error is answered."""

    status: int
    message: str


E = ErrorSpec

# code -> (HTTP status, Chinese message; {name} placeholders are filled from the error's params).
ERRORS: dict[str, ErrorSpec] = {
    "not_found": E(404, "请求的资源不存在"),
    "forbidden": E(403, "没有权限执行此操作"),
    "validation_error": E(422, "请求参数不正确"),
    "conflict": E(409, "请求与当前状态冲突"),
    "service_unavailable": E(503, "服务暂不可用，请稍后再试"),
    # Lifecycle (backend/kernel/lifecycle.py)
    "project_closed": E(409, "培训项目已结束，不能再{activity}"),
    "project_not_open": E(409, "培训项目尚未备案或已结束，暂不能{activity}"),
    "project_status_conflict": E(409, "培训项目当前状态为“{status}”，不能{activity}"),
    "project_not_in_progress": E(409, "培训项目不在开展日期内，暂不能学习"),
}


def register(code: str, status: int, message: str) -> None:
    """Add a code to the table (feature modules call this at import time for their codes)."""
    existing = ERRORS.get(code)
    if existing is not None and existing != ErrorSpec(status, message):
        raise ValueError(f"domain error {code!r} is already registered differently")
    ERRORS[code] = ErrorSpec(status, message)

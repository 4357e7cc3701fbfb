"""Response models shared by several mini-program routes."""

from __future__ import annotations

from backend.api import ResponseModel


class EnterpriseOut(ResponseModel):
    """The trainee's enterprise."""

    id: int
    name: str


class TraineeBriefOut(ResponseModel):
    """Who just signed in."""

    id: int
    name: str
    account: str
    enterprise: EnterpriseOut

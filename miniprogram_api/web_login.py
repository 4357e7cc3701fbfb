"""Scan sign-in on a computer (扫码登录) and face checks shown on a computer as a code."""

from __future__ import annotations

import re
from typing import Literal

from flask import Response, g
from pydantic import Field, RootModel

from backend.api import ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.services.accounts import web_login
from backend.services.learning import face_check_codes
from miniprogram_api.blueprint import bp
from miniprogram_api.schemas import TraineeBriefOut

_TICKET = re.compile(web_login.TICKET_PATTERN)
TICKETS = "/auth/web-login-tickets"


class WebLoginTicketOut(ResponseModel):
    """A sign-in ticket: show ``qr_url`` and poll the ticket until it is confirmed."""

    ticket: str = Field(description="随机、一次性；小程序码的 scene 为 wl=<ticket>")
    expires_in: int = Field(description="有效期（秒）")
    qr_url: str = Field(description="小程序码图片（PNG），学员用已登录的小程序扫码确认")


class TicketPendingOut(ResponseModel):
    """Not confirmed yet: ask again in a second or two."""

    status: Literal["pending"]


class TicketConfirmedOut(ResponseModel):
    """Confirmed: the web token, answered to the first read only."""

    status: Literal["confirmed"]
    token: str
    expires_in: int = Field(description="令牌有效期（秒）")
    trainee: TraineeBriefOut


class TicketStatusOut(RootModel[TicketPendingOut | TicketConfirmedOut]):
    """Pending, or confirmed with the token (once)."""


class FaceCheckStateOut(ResponseModel):
    """A face check as the phone (to run it) and the computer (to follow it) read it."""

    id: int
    verify_id: str = Field(description="wx.requestFacialVerify 的 verifyId")
    expires_in: int = Field(description="剩余有效时间（秒），已结束为 0")
    outcome: Literal["pending", "passed", "mismatch", "cancelled", "expired", "refused"]
    reason: str | None = None


class FaceCheckCodeOut(ResponseModel):
    """The mini-program code that opens a face check on the trainee's phone."""

    id: int
    scene: str = Field(description="fc=<人脸核身 id>")
    page: str = Field(description="小程序打开的页面")
    image: str = Field(description="data:image/png;base64,... 可直接作为 img 的 src")
    expires_in: int


def _ticket(ticket: str) -> str:
    # A malformed ticket is as unknown as an expired one.
    if not _TICKET.fullmatch(ticket):
        raise DomainError("ticket_expired")
    return ticket


@bp.post(TICKETS)
@endpoint(
    summary="电脑扫码登录：生成登录二维码",
    response=WebLoginTicketOut,
    status=201,
    auth=None,
    tags=("auth",),
)
def new_web_login_ticket():
    issued = web_login.issue(client_address())
    return WebLoginTicketOut(
        ticket=issued.ticket,
        expires_in=issued.expires_in,
        qr_url=f"/api/v1{TICKETS}/{issued.ticket}/code.png",
    )


@bp.get(f"{TICKETS}/<ticket>/code.png")
@endpoint(summary="电脑扫码登录：小程序码图片（PNG）", auth=None, tags=("auth",))
def web_login_code(ticket):
    png = web_login.code_image(_ticket(ticket))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.get(f"{TICKETS}/<ticket>")
@endpoint(
    summary="电脑扫码登录：查询是否已确认（确认后第一次查询返回令牌）",
    response=TicketStatusOut,
    auth=None,
    tags=("auth",),
)
def web_login_status(ticket):
    confirmed = web_login.poll(_ticket(ticket))
    if confirmed is None:
        return TicketPendingOut(status="pending")
    return TicketConfirmedOut(
        status="confirmed",
        token=confirmed.token,
        expires_in=confirmed.expires_in,
        trainee=TraineeBriefOut.model_validate(confirmed.trainee),
    )


@bp.post(f"{TICKETS}/<ticket>/confirm")
@endpoint(summary="电脑扫码登录：小程序确认登录", status=204, tags=("auth",))
def confirm_web_login(ticket):
    web_login.confirm(g.trainee, _ticket(ticket), client_address())
    db.session.commit()


@bp.get("/face-checks/<id:check_id>")
@endpoint(
    summary="人脸核身：读取（小程序扫码后取 verifyId；网页查看结果）",
    response=FaceCheckStateOut,
    tags=("learning",),
)
def read_face_check(check_id):
    return face_check_codes.read(g.trainee, check_id)


@bp.get("/face-checks/<id:check_id>/wxacode")
@endpoint(
    summary="人脸核身：在电脑上显示的小程序码（学员用手机扫码完成核身）",
    response=FaceCheckCodeOut,
    tags=("learning",),
)
def face_check_code(check_id):
    return face_check_codes.code(g.trainee, check_id)

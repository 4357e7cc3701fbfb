"""Sign-in: wx.login code → token or bind ticket, bind with a proof, and sign-out."""

from __future__ import annotations

from flask import g
from pydantic import ConfigDict, Field, RootModel, model_validator

from backend.api import RequestModel, ResponseModel, endpoint
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.services.accounts import privacy, signin, tokens
from backend.services.plain_text import LINE_PATTERN
from miniprogram_api.blueprint import bp
from miniprogram_api.schemas import TraineeBriefOut

# Real wx.login codes are 32 characters; the simulator also takes names like "zhangwei.1".
_CODE_PATTERN = r"^[A-Za-z0-9._\-]+$"


class WxLoginIn(RequestModel):
    """The code from ``wx.login``."""

    code: str = Field(min_length=1, max_length=128, pattern=_CODE_PATTERN)


class SignedInOut(ResponseModel):
    """A bearer token for the trainee."""

    token: str
    expires_in: int = Field(description="令牌有效期（秒）")
    trainee: TraineeBriefOut


class BindRequiredOut(ResponseModel):
    """This WeChat is not bound yet: call /auth/bind with the ticket before it expires."""

    bind_ticket: str
    expires_in: int = Field(description="绑定凭证有效期（秒），只能使用一次")


class WxLoginOut(RootModel[SignedInOut | BindRequiredOut]):
    """Either a token (bound) or a bind ticket (not bound yet)."""


_PROOFS = ("phone_code", "encrypted_data", "iv", "activation_code")


def _proof(given: list[str]) -> dict:
    """The JSON-schema branch of one bind proof: its fields strings, every other proof null."""
    kinds = {name: {"type": "string" if name in given else "null"} for name in _PROOFS}
    return {"required": given, "properties": kinds}


class BindIn(RequestModel):
    """A bind ticket, the roster account and exactly one proof."""

    bind_ticket: str = Field(min_length=1, max_length=128, pattern=LINE_PATTERN)
    account: str = Field(
        min_length=1, max_length=64, pattern=LINE_PATTERN, description="平台登录账号"
    )
    phone_code: str | None = Field(
        None,
        min_length=1,
        max_length=256,
        pattern=LINE_PATTERN,
        description="getPhoneNumber 按钮返回的 code",
    )
    encrypted_data: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        pattern=LINE_PATTERN,
        description="旧版 getPhoneNumber 的 encryptedData",
    )
    iv: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=LINE_PATTERN,
        description="与 encrypted_data 一起",
    )
    activation_code: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        pattern=LINE_PATTERN,
        description="企业管理员生成的激活码",
    )
    privacy_version: str | None = Field(
        None,
        max_length=32,
        pattern=LINE_PATTERN,
        description="学员已阅读并同意的个人信息处理规则版本（GET /privacy-notice 的 version）",
    )

    # What exactly_one_proof enforces, said in the document: one proof, the others absent or
    # null.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                _proof(["phone_code"]),
                _proof(["encrypted_data", "iv"]),
                _proof(["activation_code"]),
            ]
        }
    )

    @model_validator(mode="after")
    def exactly_one_proof(self):
        """One of phone_code, encrypted_data + iv, activation_code."""
        given = [
            self.phone_code is not None,
            self.encrypted_data is not None or self.iv is not None,
            self.activation_code is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one of phone_code, encrypted_data+iv, activation_code")
        if (self.encrypted_data is None) != (self.iv is None):
            raise ValueError("encrypted_data and iv go together")
        return self


@bp.post("/auth/wx-login")
@endpoint(summary="微信登录", body=WxLoginIn, response=WxLoginOut, auth=None, tags=("auth",))
def wx_login(body: WxLoginIn):
    result = signin.wx_login(body.code)
    db.session.commit()
    if isinstance(result, signin.BindRequired):
        return BindRequiredOut(bind_ticket=result.bind_ticket, expires_in=result.expires_in)
    return _signed_in(result)


@bp.post("/auth/bind")
@endpoint(summary="绑定花名册账号", body=BindIn, response=SignedInOut, auth=None, tags=("auth",))
def bind(body: BindIn):
    # Before the ticket is spent: an outdated notice costs the trainee no new wx.login.
    notice = privacy.require_accepted(body.privacy_version)
    proof = signin.Proof(body.phone_code, body.encrypted_data, body.iv, body.activation_code)
    try:
        result = signin.bind(body.bind_ticket, body.account, proof, client_address=client_address())
    except signin.BindFailed as exc:
        db.session.rollback()
        signin.record_failed_bind(exc, body.account, proof.method, client_address=client_address())
        db.session.commit()
        raise
    except DomainError:
        db.session.rollback()
        raise
    privacy.record_consent(result.trainee, notice.version)
    db.session.commit()
    return _signed_in(result)


@bp.post("/auth/logout")
@endpoint(summary="退出登录", status=204, tags=("auth",))
def logout():
    tokens.revoke_token(g.token)


def _signed_in(result: signin.SignedIn) -> SignedInOut:
    return SignedInOut(
        token=result.token,
        expires_in=result.expires_in,
        trainee=TraineeBriefOut.model_validate(result.trainee),
    )

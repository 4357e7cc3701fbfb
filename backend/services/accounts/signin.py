"""Trainee sign-in from the mini-program: wx.login code → token, or bind ticket → bind → token."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from backend import audit, pii
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.models import Trainee
from backend.services import rate_limit
from backend.services.accounts import bind_tickets, binding, tokens, wechat_calls
from backend.validation import InvalidValue, validate_mobile
from backend.wechat import InvalidUserData, WeChatError, decrypt_user_data


@dataclass
class SignedIn:
    """A bearer token for a bound trainee."""

    token: str
    expires_in: int
    trainee: Trainee


@dataclass
class BindRequired:
    """This WeChat user is not bound yet: bind with the ticket."""

    bind_ticket: str
    expires_in: int


@dataclass
class Proof:
    """What the trainee offers to show the roster account is theirs (exactly one kind)."""

    phone_code: str | None = None
    encrypted_data: str | None = None
    iv: str | None = None
    activation_code: str | None = None

    @property
    def method(self) -> str:
        """Which kind of proof this is, for the audit log."""
        if self.phone_code is not None:
            return "phone_code"
        if self.encrypted_data is not None:
            return "encrypted_data"
        return "activation_code"


class BindFailed(DomainError):
    """The account and proof do not fit together; the trainee is not told which part is wrong."""

    def __init__(self, reason: str, trainee: Trainee | None) -> None:
        super().__init__("bind_failed")
        self.reason = reason
        self.trainee_id = trainee.id if trainee is not None else None
        self.enterprise_id = trainee.enterprise_id if trainee is not None else None


def wx_login(code: str) -> SignedIn | BindRequired:
    """Exchange a wx.login code with WeChat: a token when bound, else a bind ticket."""
    try:
        session = wechat_calls.gateway().code_to_session(code)
    except WeChatError as exc:
        raise wechat_calls.api_error(exc, "login") from None
    trainee = binding.trainee_by_openid(session["openid"])
    if trainee is None:
        ticket, ttl = bind_tickets.issue(
            session["openid"], session["session_key"], session["unionid"]
        )
        return BindRequired(ticket, ttl)
    if not trainee.active:
        raise DomainError("account_disabled")
    if session["unionid"] and trainee.wx_unionid != session["unionid"]:
        trainee.wx_unionid = session["unionid"]
    token, ttl = tokens.issue_token(trainee.id)
    return SignedIn(token, ttl, trainee)


def bind(ticket_value: str, account: str, proof: Proof, *, client_address: str) -> SignedIn:
    """Bind the ticket's WeChat user to the roster account if the proof fits; return a token."""
    ticket = bind_tickets.take(ticket_value)
    if ticket is None:
        raise DomainError("invalid_bind_ticket")
    account = account.strip()
    config = current_app.config
    rate_limit.hit(
        [("bind-openid", ticket.openid), ("bind-account", account.lower())],
        limit=int(config["BIND_RATE_LIMIT"]),
        window_s=int(config["BIND_RATE_WINDOW_S"]),
    )
    # Evidence first, account second: WeChat is asked whether or not the account exists,
    # so neither the answer nor its timing tells a stranger which accounts are real.
    phone, problem = _proven_phone(proof, ticket)
    trainee = db.session.scalar(select(Trainee).where(Trainee.account == account))
    if trainee is None:
        raise BindFailed("unknown_account", None)
    if proof.activation_code is not None:
        if not binding.use_activation_code(trainee, proof.activation_code):
            raise BindFailed("activation_code_rejected", trainee)
    elif problem is not None:
        raise BindFailed(problem, trainee)
    elif not pii.mobile_matches(trainee, phone):
        raise BindFailed("phone_mismatch", trainee)
    if not trainee.active:
        # Told only after a valid proof, so a stranger cannot learn which accounts are stopped.
        raise DomainError("account_disabled")
    binding.bind_wechat(
        trainee,
        ticket.openid,
        ticket.unionid,
        method=proof.method,
        client_address=client_address,
    )
    token, ttl = tokens.issue_token(trainee.id)
    return SignedIn(token, ttl, trainee)


def _proven_phone(proof: Proof, ticket: bind_tickets.BindTicket) -> tuple[str, str | None]:
    """The phone WeChat vouches for ("" for an activation code) or the reason there is none."""
    if proof.phone_code is not None:
        try:
            raw = wechat_calls.gateway().get_phone_number(proof.phone_code)
        except WeChatError as exc:
            raise wechat_calls.api_error(exc, "phone") from None
    elif proof.encrypted_data is not None:
        try:
            data = decrypt_user_data(
                ticket.session_key,
                proof.encrypted_data,
                proof.iv or "",
                current_app.config["WECHAT_APP_ID"],
            )
        except InvalidUserData:
            return "", "encrypted_data_rejected"
        raw = data.get("purePhoneNumber") or data.get("phoneNumber")
        if not isinstance(raw, str):
            return "", "no_phone_in_data"
    else:
        return "", None
    try:
        return validate_mobile(raw), None
    except InvalidValue:
        return "", "phone_not_mainland"


def record_failed_bind(exc: BindFailed, account: str, method: str, *, client_address: str) -> None:
    """Write a failed bind attempt to the audit log (admins see who tried which account)."""
    audit.record(
        "trainee.bind_failed",
        # Nobody is signed in yet: who tried is the account typed and the client address.
        audit.trainee(None, client_address),
        object_type="trainee",
        object_id=exc.trainee_id,
        enterprise_id=exc.enterprise_id,
        account=account.strip()[:64],
        method=method,
        reason=exc.reason,
    )

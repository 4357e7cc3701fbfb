"""Who is asking and from where, as the web layer sees it; views hand it to services."""

from __future__ import annotations

from flask import request

from backend import audit


def client_address() -> str:
    """The client's address: the peer's, or behind TRUSTED_PROXY_HOPS proxies the forwarded one."""
    # ProxyFix (installed by the app factory for TRUSTED_PROXY_HOPS) has already replaced
    # remote_addr with the address the trusted proxies saw.
    return request.remote_addr or ""


def as_admin(admin) -> audit.Actor:
    """The signed-in admin, for the audit log."""
    return audit.admin(admin, client_address())


def as_trainee(trainee) -> audit.Actor:
    """The calling trainee (``None``: not yet identified), for the audit log."""
    return audit.trainee(trainee, client_address())


def as_bureau_key(key) -> audit.Actor:
    """The calling bureau key, for the audit log."""
    return audit.bureau_key(key, client_address())

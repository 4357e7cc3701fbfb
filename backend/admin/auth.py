"""Admin sessions: sign-in views and the decorators every admin view uses."""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission, can
from backend.models import AdminUser
from backend.services.accounts import admin_auth, admin_sessions

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")


def current_admin() -> AdminUser | None:
    """The signed-in admin of this request, if any."""
    if "admin" not in g:
        admin_id = session.get("admin_id")
        # The signed cookie alone is not enough: its session must still be open in Redis.
        if admin_id and admin_sessions.admin_of(session.get("admin_sid")) != admin_id:
            admin_id = None
        admin = db.session.get(AdminUser, admin_id) if admin_id else None
        g.admin = admin if admin is not None and admin.active else None
    return g.admin


def _is_json_request() -> bool:
    return request.path.startswith("/api/")


# Reachable while a temporary password waits to be replaced.
PASSWORD_GATE_OPEN = frozenset({"admin_pages.own_password", "admin_auth.logout"})


def _password_gate(admin: AdminUser):
    """After a reset, nothing but changing the password (and signing out) until it is done."""
    if not admin.must_change_password or request.endpoint in PASSWORD_GATE_OPEN:
        return None
    if _is_json_request():
        raise DomainError("password_change_required")
    return redirect(url_for("admin_pages.own_password"))


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def refuse_anonymous_api_writes() -> None:
    """A write to the admin API without a signed-in admin is 401, before the CSRF check would
    answer 400 (registered ahead of CSRFProtect's hook): the document says 401, and so does
    every read."""
    if request.method in _SAFE_METHODS or not request.path.startswith("/api/admin/"):
        return
    if current_admin() is None:
        raise DomainError("unauthorized", "请先登录管理后台")


def admin_required():
    """Require a signed-in admin (what they may do: ``require_permission``)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            admin = current_admin()
            if admin is None:
                if _is_json_request():
                    raise DomainError("unauthorized", "请先登录管理后台")
                return redirect(url_for("admin_auth.login", next=request.full_path))
            gate = _password_gate(admin)
            if gate is not None:
                return gate
            return view(*args, **kwargs)

        return wrapper

    return decorate


def require_permission(permission: Permission):
    """Require a signed-in admin holding ``permission`` (the one table: kernel/permissions.py)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            admin = current_admin()
            if admin is None:
                if _is_json_request():
                    raise DomainError("unauthorized", "请先登录管理后台")
                return redirect(url_for("admin_auth.login", next=request.full_path))
            gate = _password_gate(admin)
            if gate is not None:
                return gate
            if not can(admin, permission):
                raise DomainError("forbidden")
            return view(*args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorate


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect would let a phishing link borrow our sign-in page.
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin_pages.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign in."""
    if request.method == "POST":
        try:
            admin = admin_auth.authenticate(
                request.form.get("username", ""),
                request.form.get("password", ""),
                # The same "from where" as the audit log records (the peer address).
                request.remote_addr or "",
            )
        except DomainError as exc:
            db.session.commit()  # keep the failed-attempt audit entry
            flash(exc.message, "error")
            return render_template("admin/login.html"), exc.status
        admin_sessions.end(session.get("admin_sid"))
        session.clear()
        session["admin_id"] = admin.id
        session["admin_sid"] = admin_sessions.start(admin.id)
        session.permanent = True
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("admin/login.html")


@bp.post("/logout")
@admin_required()
def logout():
    """Sign out."""
    admin_auth.signed_out(current_admin(), client_address())
    db.session.commit()
    admin_sessions.end(session.get("admin_sid"))
    session.clear()
    return redirect(url_for("admin_auth.login"))

"""The support inbox: trainees' threads per project, reply (with a WeChat notice), close."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from backend.admin.auth import current_admin, require_permission
from backend.admin.forms import ActionForm
from backend.admin.pages.base import bp
from backend.admin.pages.evaluations import Page
from backend.admin.practice_forms import ReplyForm
from backend.caller import client_address
from backend.extensions import db
from backend.kernel.errors import DomainError
from backend.kernel.permissions import Permission
from backend.kernel.scope import get_scoped, scope_query
from backend.models import AdminUser, Project, SupportThread, Trainee
from backend.services.support import notice as support_notice
from backend.services.support import threads as support

THREAD_STATUS_NAMES = {"open": "待回复", "answered": "已回复", "closed": "已关闭"}


def _projects() -> list[Project]:
    query = scope_query(select(Project), Project, current_admin())
    return list(db.session.scalars(query.order_by(Project.created_at.desc(), Project.id.desc())))


def _thread_page(thread: SupportThread, form: ReplyForm | None = None, status: int = 200):
    messages = support.messages(thread)
    admin_ids = {m.admin_user_id for m in messages if m.admin_user_id}
    admins = dict(
        db.session.execute(
            select(AdminUser.id, AdminUser.display_name).where(AdminUser.id.in_(admin_ids))
        ).all()
    )
    return render_template(
        "admin/support/thread.html",
        thread=thread,
        trainee=db.session.get(Trainee, thread.trainee_id),
        messages=messages,
        admins=admins,
        form=form or ReplyForm(),
        action_form=ActionForm(),
        status_names=THREAD_STATUS_NAMES,
        notice_names=support_notice.STATUS_NAMES,
    ), status


@bp.get("/support")
@require_permission(Permission.VIEW_SUPPORT)
def support_inbox():
    """Threads the admin may see, filtered by project and status, 50 a page."""
    admin = current_admin()
    projects = _projects()
    project_id = request.args.get("project", type=int)
    if project_id not in {p.id for p in projects}:
        project_id = None
    status = request.args.get("status", "")
    status = status if status in THREAD_STATUS_NAMES else None
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    threads = support.admin_threads(admin, status, page, project_id)
    total = support.admin_thread_count(admin, status, project_id)
    names = dict(
        db.session.execute(
            select(Trainee.id, Trainee.name).where(Trainee.id.in_([t.trainee_id for t in threads]))
        ).all()
    )
    return render_template(
        "admin/support/inbox.html",
        projects=projects,
        project_id=project_id,
        status=status or "",
        page=Page(threads, page, total, support.ADMIN_PAGE_SIZE),
        names=names,
        awaiting=support.admin_thread_count(admin, support.OPEN, project_id),
        status_names=THREAD_STATUS_NAMES,
    )


@bp.get("/support/<id:thread_id>")
@require_permission(Permission.VIEW_SUPPORT)
def support_thread(thread_id: int):
    """A thread with its messages, the reply form and the close button."""
    return _thread_page(get_scoped(SupportThread, thread_id, current_admin()))


@bp.post("/support/<id:thread_id>/reply")
@require_permission(Permission.ANSWER_SUPPORT)
def support_reply(thread_id: int):
    """Answer the trainee; the reply is saved first, the WeChat notice follows."""
    admin = current_admin()
    thread = get_scoped(SupportThread, thread_id, admin, lock=True)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread_page(thread, form, 422)
    try:
        message = support.admin_reply(
            admin, thread, form.body.data, client_address=client_address()
        )
    except DomainError as exc:
        db.session.rollback()
        form.body.errors = [*form.body.errors, exc.message]
        return _thread_page(thread, form, exc.status)
    db.session.commit()  # the reply is kept whatever WeChat answers
    status = support_notice.send_reply_notice(message)
    db.session.commit()
    flash(f"已回复；{support_notice.STATUS_NAMES[status]}", "success")
    return redirect(url_for("admin_pages.support_thread", thread_id=thread.id))


@bp.post("/support/<id:thread_id>/close")
@require_permission(Permission.ANSWER_SUPPORT)
def support_close(thread_id: int):
    """Close a thread (the trainee can open a new one)."""
    admin = current_admin()
    thread = get_scoped(SupportThread, thread_id, admin, lock=True)
    support.close_thread(admin, thread, client_address=client_address())
    db.session.commit()
    flash("问题已关闭", "success")
    return redirect(url_for("admin_pages.support_thread", thread_id=thread.id))

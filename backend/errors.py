"""Errors: JSON bodies under /api, readable pages elsewhere, never a bare 500."""

from __future__ import annotations

import logging

import redis
import sqlalchemy.exc
from flask import Flask, Response, jsonify, render_template, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from backend.kernel.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

# Chinese messages for the HTTP errors Flask raises by itself (routing, size limits).
HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "请求的资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    408: ("request_timeout", "请求超时，请重新发送"),
    409: ("conflict", "请求与当前状态冲突"),
    413: ("payload_too_large", "请求内容过大"),
    415: ("unsupported_media_type", "请求内容类型不受支持，请使用 application/json"),
    422: ("validation_error", "请求参数不正确"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
    500: ("internal_error", "服务器内部错误，请稍后再试"),
    503: ("service_unavailable", "服务暂不可用，请稍后再试"),
}


SERVICE_UNAVAILABLE = "服务暂不可用，请稍后再试"
RETRY_AFTER_OUTAGE_S = 5
OUTAGE_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    "<title>服务暂不可用</title></head><body><h1>服务暂不可用</h1><p>{message}</p>"
    '<p><a href="">刷新重试</a></p></body></html>'
)
# Drawn without templates: rendering one runs the context processors, which ask the database
# and Redis who is signed in, and those may be what failed.
BARE_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    "<title>{status} · 适岗</title></head><body><h1>出错了（{status}）</h1><p>{message}</p>"
    '<p><a href="/admin/">返回管理后台首页</a></p></body></html>'
)


NotFound = NotFoundError


def error_body(code: str, message: str, details: list | None = None) -> dict:
    """The JSON error envelope every API failure uses."""
    error: dict = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _render(
    status: int, code: str, message: str, headers=None, details=None, *, plain: bool = False
) -> Response:
    if _wants_json():
        response = jsonify(error_body(code, message, details))
    else:
        # plain: any template asks the database and Redis who is signed in, so an outage page
        # is drawn without one.
        html = (
            OUTAGE_PAGE.format(message=escape(message))
            if plain
            else _error_page(status, code, message)
        )
        response = Response(html, mimetype="text/html")
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _error_page(status: int, code: str, message: str) -> str:
    """The error page with the admin navigation; a bare one if that cannot be drawn."""
    try:
        return render_template("error.html", status=status, code=code, message=message)
    except Exception:  # the navigation needs the database, which may be what failed
        log.warning("error page without navigation", exc_info=True)
        from backend.extensions import db

        db.session.rollback()
        return BARE_PAGE.format(status=status, message=escape(message))


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn every failure into a clear answer."""

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        from backend.extensions import db

        # A refused request leaves nothing behind: whatever it had staged is discarded.
        db.session.rollback()
        return _render(exc.status, exc.code, exc.message, exc.headers, exc.details)

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc: HTTPException):
        code, message = HTTP_MESSAGES.get(exc.code or 500, ("http_error", exc.name))
        headers = {}
        if exc.code == 405 and exc.valid_methods:
            headers["Allow"] = ", ".join(exc.valid_methods)
        return _render(exc.code or 500, code, message, headers)

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    # A Redis Cluster with no node answering, or one that lost slots (REDIS_CLUSTER=1).
    @app.errorhandler(redis.exceptions.RedisClusterException)
    @app.errorhandler(redis.exceptions.ClusterDownError)
    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    def handle_outage(exc: Exception):
        from backend.extensions import db

        # Redis or PostgreSQL is down or hung: say so, and when to try again.
        log.error("service unavailable: %s", type(exc).__name__)
        try:
            db.session.rollback()
        except Exception:
            db.session.close()
        return _render(
            503,
            "service_unavailable",
            SERVICE_UNAVAILABLE,
            {"Retry-After": str(RETRY_AFTER_OUTAGE_S)},
            plain=True,
        )

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        from backend.extensions import db

        # Whatever half-done work the request held is thrown away, never committed.
        db.session.rollback()
        log.exception("unhandled error")
        code, message = HTTP_MESSAGES[500]
        return _render(500, code, message)

"""The admin JSON API: session cookie plus ``X-CSRFToken`` header, pydantic bodies."""

from flask import Blueprint


def create_api_blueprint() -> Blueprint:
    """Build the /api/admin blueprint with every route module attached."""
    from backend.admin.api import dashboard_charts, session_info, trainee_wechat

    bp = Blueprint("admin_api", __name__, url_prefix="/api/admin")
    for module in (session_info, trainee_wechat, dashboard_charts):
        module.register(bp)
    return bp

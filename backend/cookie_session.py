"""Flask's signed-cookie session, without its per-request cost on requests that carry none."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose machinery runs only when a cookie is present or written."""

    # API calls with bearer tokens (heartbeats) then skip it entirely.

    def open_session(self, app, request):
        """Open the session; an empty one without any work when there is no cookie."""
        # No Cookie header at all (a bearer-token API call): not even parse the headers.
        cookie_header = request.environ.get("HTTP_COOKIE")
        if app.secret_key and not (
            cookie_header and request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        """Save the session; nothing to do for one never touched."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)

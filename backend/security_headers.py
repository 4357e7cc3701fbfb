"""Security headers on every response."""

from urllib.parse import urlsplit

from flask import Flask

# No inline script or style anywhere: every script and stylesheet is a file served by the app.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def headers_for(app: Flask) -> tuple[tuple[str, str], ...]:
    """The headers, with the bucket's origin allowed for uploads when media go to S3."""
    endpoint = app.config.get("S3_ENDPOINT_URL")
    if app.config.get("MEDIA_STORAGE") != "s3" or not endpoint:
        return _HEADERS
    parts = urlsplit(endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    csp = CSP.replace("connect-src 'self'", f"connect-src 'self' {origin}")
    return (("Content-Security-Policy", csp), *_HEADERS[1:])


def init_app(app: Flask) -> None:
    """Add CSP, nosniff, frame and referrer headers to every response."""
    headers = headers_for(app)

    @app.after_request
    def add_security_headers(response):
        # One pass over the response's headers (this runs on every heartbeat), not one per name.
        present = {name.lower() for name, _ in response.headers}
        for name, value in headers:
            if name.lower() not in present:
                response.headers.add(name, value)
        return response

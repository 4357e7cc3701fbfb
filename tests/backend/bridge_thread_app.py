"""A WSGI app that answers with the name of the thread running it: what the RSGI bridge's tests
serve to see which requests the event loop runs itself and which go to the app's threads."""

from __future__ import annotations

import threading


def app(environ, start_response):
    body = threading.current_thread().name.encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

"""Shared steps of the content tests: an enterprise admin signed in, uploads through the API."""

from __future__ import annotations

import io
from functools import cache

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from backend.services.content import samples


@cache
def video(seconds: int = 3) -> bytes:
    """A real MP4 of ``seconds`` seconds (generated once per test run)."""
    return samples.video_bytes(seconds)


@cache
def audio(seconds: int = 3) -> bytes:
    """A real MP3 of ``seconds`` seconds."""
    return samples.audio_bytes(seconds)


@cache
def pdf(pages: int = 2) -> bytes:
    """A PDF of ``pages`` pages."""
    return samples.pdf_bytes(pages)


class ContentAdmin:
    """An admin driving the content API with the test client."""

    def __init__(self, client, csrf: str) -> None:
        self.client = client
        self.headers = {"X-CSRFToken": csrf}

    def create_course(self, enterprise_id: int, name="安全生产", summary="规程", expect=201):
        """POST /api/admin/courses."""
        response = self.client.post(
            "/api/admin/courses",
            json={"enterprise_id": enterprise_id, "name": name, "summary": summary},
            headers=self.headers,
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def upload(
        self, course_id, data: bytes, *, kind="video", filename="第一课.mp4", expect=201, **fields
    ):
        """POST /api/admin/courses/{id}/lessons as multipart."""
        form = {"title": fields.pop("title", "第一课"), "kind": kind, **fields}
        form["file"] = FileStorage(io.BytesIO(data), filename)
        # Encoded in memory: the test client spools a large body to a file it never closes.
        boundary, body = encode_multipart(form)
        response = self.client.post(
            f"/api/admin/courses/{course_id}/lessons",
            input_stream=io.BytesIO(body),
            content_length=len(body),
            content_type=f"multipart/form-data; boundary={boundary}",
            headers=self.headers,
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def call(self, method: str, path: str, expect=200, **kwargs):
        """Any other admin API call; returns the JSON answer."""
        response = self.client.open(path, method=method, headers=self.headers, **kwargs)
        assert response.status_code == expect, response.get_data(as_text=True)
        return response.get_json()

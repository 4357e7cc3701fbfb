"""The trainee's lesson list carries a signed, expiring media URL that plays with HTTP Range,
served by the app (filesystem) or presigned by the bucket (S3)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from tests.content_helpers import video
from tests.learning_driver import Learner

BACKENDS = pytest.mark.parametrize("media_backend", ["filesystem", "s3"])


def media_project(make, seconds=3):
    enterprise = make.enterprise()
    project = make.project(enterprise, attention_checks_enabled=False)
    course = make.course(project, name="安全生产")
    lesson = make.media_lesson(course, video(seconds), title="第一课")
    trainee = make.trainee(enterprise)
    make.enrol(trainee, project)
    return project, lesson, trainee


def fetch(client, media_backend, url, headers=None):
    """GET a media URL: through the app for the filesystem, over HTTP for the bucket."""
    if media_backend == "filesystem":
        parts = urlsplit(url)
        with client.get(f"{parts.path}?{parts.query}", headers=headers or {}) as response:
            return response.status_code, response.headers, response.get_data()
    response = requests.get(url, headers=headers or {}, timeout=10)
    return response.status_code, response.headers, response.content


@BACKENDS
def test_the_lesson_list_gives_a_signed_url_that_plays_by_range(
    client, make, frozen_clock, media_backend
):
    project, lesson, trainee = media_project(make)
    me = Learner(client, make, trainee)
    row = me.lessons(project)["lessons"][0]
    assert row["kind"] == "video"
    assert (row["course_id"], row["course_name"]) == (lesson.course_id, "安全生产")
    assert row["duration_s"] == 3
    expires = frozen_clock.now() + timedelta(hours=2)
    assert row["media_expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M"))
    status, headers, body = fetch(client, media_backend, row["media_url"], {"Range": "bytes=0-99"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes 0-99/{len(video(3))}"
    assert body == video(3)[:100]
    status, _, body = fetch(client, media_backend, row["media_url"])
    assert status == 200 and body == video(3)


def test_an_expired_or_altered_link_does_not_play(client, make, frozen_clock):
    project, _lesson, trainee = media_project(make)
    url = Learner(client, make, trainee).lessons(project)["lessons"][0]["media_url"]
    altered = url.replace("sig=", "sig=0")
    assert fetch(client, "filesystem", altered)[0] == 404
    frozen_clock.freeze(frozen_clock.now() + timedelta(hours=2, seconds=1))
    status, _, body = fetch(client, "filesystem", url)
    assert status == 403
    assert "过期".encode() in body


def test_only_enrolled_trainees_get_a_url(client, make, frozen_clock):
    project, _lesson, _trainee = media_project(make)
    stranger = Learner(client, make, make.trainee(project.enterprise))
    response = client.get(f"/api/v1/projects/{project.id}/lessons", headers=stranger.headers)
    assert response.status_code == 404
    assert "media_url" not in response.get_data(as_text=True)

"""Lessons through the admin API on both storage backends: real files checked on the server,
and never a lesson row without its file or a file without its row."""

import io
import struct

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from backend.models import AuditLog, Lesson, Role
from tests.content_helpers import ContentAdmin, audio, pdf, video

BACKENDS = pytest.mark.parametrize("media_backend", ["filesystem", "s3"])


@pytest.fixture
def company(make):
    return make.enterprise(name="甲企业")


@pytest.fixture
def hr(client, make, company, admin_login):
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    return ContentAdmin(client, admin_login(admin))


def stored_files(app, media_backend, s3_keys=None) -> list[str]:
    """Every file in the app's media storage."""
    storage = app.extensions["media_storage"]
    if media_backend == "filesystem":
        if not storage.root.exists():
            return []
        return sorted(str(p.relative_to(storage.root)) for p in storage.root.rglob("*.*"))
    answer = storage.client.list_objects_v2(Bucket=storage.bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def lesson_count(make) -> int:
    return make.session.scalar(select(func.count()).select_from(Lesson))


@BACKENDS
def test_a_video_upload_reads_its_duration_from_the_file(app, make, company, hr, media_backend):
    course = hr.create_course(company.id)
    assert course["name"] == "安全生产" and course["lessons"] == []
    lesson = hr.upload(course["id"], video(3))
    assert lesson["kind"] == "video" and lesson["position"] == 1  # numbered from 1, as the demo's
    assert lesson["duration_s"] == 3
    assert lesson["media"]["bytes"] == len(video(3))
    assert lesson["media"]["content_type"] == "video/mp4"
    assert stored_files(app, media_backend) == [make.session.get(Lesson, lesson["id"]).media_key]
    shown = hr.call("GET", f"/api/admin/courses/{course['id']}")
    assert shown["duration_s"] == 3 and [row["id"] for row in shown["lessons"]] == [lesson["id"]]
    actions = make.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["course.create", "lesson.create"]


@BACKENDS
def test_audio_and_documents(app, make, company, hr, media_backend):
    course = hr.create_course(company.id)
    sound = hr.upload(course["id"], audio(2), kind="audio", filename="讲解.mp3")
    assert (sound["kind"], sound["duration_s"]) == ("audio", 2)
    assert sound["media"]["content_type"] == "audio/mpeg"
    document = hr.upload(
        course["id"], pdf(3), kind="document", filename="手册.pdf", duration_s="900"
    )
    assert (document["duration_s"], document["page_count"]) == (900, 3)
    missing = hr.upload(course["id"], pdf(3), kind="document", filename="手册.pdf", expect=422)
    assert missing["error"]["code"] == "reading_time_required"
    typed = hr.upload(course["id"], video(3), duration_s="600", expect=422)
    assert typed["error"]["code"] == "duration_not_settable"
    assert len(stored_files(app, media_backend)) == 2


@BACKENDS
@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"PK\x03\x04" + b"\0" * 2000, "media_type_mismatch"),  # a zip named .mp4
        (b"", "media_empty"),
        (video(3)[:40] + b"\0" * 3000, "media_unreadable"),  # an MP4 header, then garbage
        (video(3)[: len(video(3)) // 2], "media_unreadable"),  # cut in half
        (audio(2), "media_type_mismatch"),  # an MP3 sent as a video
    ],
)
def test_a_file_that_is_not_a_readable_video_is_refused_and_nothing_is_kept(
    app, make, company, hr, media_backend, data, code
):
    course = hr.create_course(company.id)
    answer = hr.upload(course["id"], data, expect=422)
    assert answer["error"]["code"] == code
    assert answer["error"]["message"]
    assert lesson_count(make) == 0
    assert stored_files(app, media_backend) == []


@pytest.fixture
def small_limit(app_config):
    app_config["MEDIA_MAX_BYTES"] = 2000


@BACKENDS
def test_a_file_over_the_limit_is_413(small_limit, app, make, company, hr, media_backend):
    course = hr.create_course(company.id)
    answer = hr.upload(course["id"], video(3) + b"\0" * 5000, expect=413)
    assert answer["error"]["code"] == "media_too_large"
    assert "KB" in answer["error"]["message"]
    assert lesson_count(make) == 0 and stored_files(app, media_backend) == []


def test_an_interrupted_upload_is_a_readable_400_and_leaves_nothing(app, client, make, company, hr):
    course = hr.create_course(company.id)
    boundary, body = encode_multipart(
        {"title": "第一课", "kind": "video", "file": FileStorage(io.BytesIO(video(3)), "a.mp4")}
    )
    response = client.post(
        f"/api/admin/courses/{course['id']}/lessons",
        input_stream=io.BytesIO(body[: len(body) // 2]),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=hr.headers,
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "upload_incomplete"
    assert lesson_count(make) == 0
    assert stored_files(app, "filesystem") == []


@BACKENDS
def test_unreachable_storage_refuses_the_upload_without_a_row(
    app_config, media_backend, make, company, admin_login, tmp_path, client
):
    assert lesson_count(make) == 0
    # The app under test was built already; break its storage in place.
    app = client.application
    storage = app.extensions["media_storage"]
    if media_backend == "s3":
        import boto3

        storage.client = boto3.client(
            "s3",
            endpoint_url="http://127.0.0.1:9",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
    else:
        blocker = tmp_path / "blocked"
        blocker.write_text("x")
        storage.root = blocker
    admin = make.admin(Role.ENTERPRISE_ADMIN, enterprise=company)
    make.session.commit()
    hr = ContentAdmin(client, admin_login(admin))
    course = hr.create_course(company.id)
    answer = hr.upload(course["id"], video(3), expect=503)
    assert answer["error"]["code"] == "storage_unavailable"
    assert lesson_count(make) == 0


@BACKENDS
def test_change_replace_and_delete_a_lesson(app, make, company, hr, media_backend, frozen_clock):
    course = hr.create_course(company.id)
    lesson = hr.upload(course["id"], video(3))
    renamed = hr.call("PATCH", f"/api/admin/lessons/{lesson['id']}", json={"title": "新标题"})
    assert renamed["title"] == "新标题"
    old_key = make.session.get(Lesson, lesson["id"]).media_key
    replaced = hr.call(
        "PATCH",
        f"/api/admin/lessons/{lesson['id']}",
        data={"position": "3", "file": (io.BytesIO(video(4)), "b.mp4")},
        content_type="multipart/form-data",
    )
    assert (replaced["duration_s"], replaced["position"]) == (4, 3)
    make.session.expire_all()
    new_key = make.session.get(Lesson, lesson["id"]).media_key
    assert new_key != old_key
    assert stored_files(app, media_backend) == [new_key]
    removed = hr.call("DELETE", f"/api/admin/lessons/{lesson['id']}")
    assert removed == {"id": lesson["id"], "deleted": True, "retired": False}
    assert stored_files(app, media_backend) == [] and lesson_count(make) == 0


def test_a_learned_lesson_is_retired_never_deleted_and_keeps_its_file(
    app, make, company, hr, frozen_clock
):
    project = make.project(company)
    course = hr.create_course(company.id)
    made = hr.upload(course["id"], video(3))
    lesson = make.session.get(Lesson, made["id"])
    make.attach(project, lesson.course)
    trainee = make.trainee(company)
    make.enrol(trainee, project)
    make.credited_span(trainee, lesson, frozen_clock.now(), 3)
    make.session.commit()
    refused = hr.call(
        "PATCH",
        f"/api/admin/lessons/{lesson.id}",
        expect=409,
        data={"file": (io.BytesIO(video(4)), "b.mp4")},
        content_type="multipart/form-data",
    )
    assert refused["error"]["code"] == "lesson_has_credit"
    removed = hr.call("DELETE", f"/api/admin/lessons/{lesson.id}")
    assert removed == {"id": lesson.id, "deleted": False, "retired": True}
    assert stored_files(app, "filesystem") == [lesson.media_key]


@pytest.mark.parametrize("media_backend", ["s3"])
def test_direct_upload_to_the_bucket_is_checked_by_the_server(
    app, make, company, hr, media_backend
):
    course = hr.create_course(company.id)
    offer = hr.call(
        "POST",
        f"/api/admin/courses/{course['id']}/lesson-uploads",
        expect=201,
        json={"filename": "第一课.mp4", "bytes": len(video(3))},
    )
    sent = requests.post(
        offer["url"], data=offer["fields"], files={"file": ("a.mp4", video(3))}, timeout=10
    )
    assert sent.status_code in (200, 204), sent.text
    lesson = hr.call(
        "POST",
        f"/api/admin/courses/{course['id']}/lessons/from-upload",
        expect=201,
        json={"title": "直传", "kind": "video", "upload_id": offer["upload_id"]},
    )
    assert lesson["duration_s"] == 3
    assert stored_files(app, media_backend) == [make.session.get(Lesson, lesson["id"]).media_key]
    again = hr.call(
        "POST",
        f"/api/admin/courses/{course['id']}/lessons/from-upload",
        expect=404,
        json={"title": "直传", "kind": "video", "upload_id": offer["upload_id"]},
    )
    assert again["error"]["code"] == "upload_not_found"


@pytest.mark.parametrize("media_backend", ["s3"])
def test_a_zip_put_in_the_bucket_as_a_video_is_refused_and_deleted(
    app, make, company, hr, media_backend
):
    course = hr.create_course(company.id)
    offer = hr.call(
        "POST",
        f"/api/admin/courses/{course['id']}/lesson-uploads",
        expect=201,
        json={"filename": "a.mp4", "bytes": 2004},
    )
    zipped = b"PK\x03\x04" + b"\0" * 2000
    requests.post(offer["url"], data=offer["fields"], files={"file": ("a.mp4", zipped)}, timeout=10)
    answer = hr.call(
        "POST",
        f"/api/admin/courses/{course['id']}/lessons/from-upload",
        expect=422,
        json={"title": "直传", "kind": "video", "upload_id": offer["upload_id"]},
    )
    assert answer["error"]["code"] == "media_type_mismatch"
    assert lesson_count(make) == 0 and stored_files(app, media_backend) == []


def test_the_filesystem_backend_has_no_direct_upload(app, company, hr):
    course = hr.create_course(company.id)
    answer = hr.call(
        "POST",
        f"/api/admin/courses/{course['id']}/lesson-uploads",
        expect=409,
        json={"filename": "a.mp4", "bytes": 10},
    )
    assert answer["error"]["code"] == "direct_upload_unsupported"


def padded_video(megabytes: int) -> bytes:
    """A real MP4 followed by a ``free`` box: a valid video of about ``megabytes`` MB."""
    padding = megabytes * 1024 * 1024
    return video(3) + struct.pack(">I4s", padding + 8, b"free") + bytes(padding)


def test_a_file_larger_than_ordinary_requests_uploads(app, make, company, hr):
    course = hr.create_course(company.id)
    lesson = hr.upload(course["id"], padded_video(3))
    assert lesson["duration_s"] == 3 and lesson["media"]["bytes"] > 3 * 1024 * 1024


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    small_limit, app, client, make, company, hr
):
    course = hr.create_course(company.id)
    boundary, body = encode_multipart(
        {
            "title": "第一课",
            "kind": "video",
            "file": FileStorage(io.BytesIO(padded_video(2)), "a.mp4"),
        }
    )
    # The body from memory: the test client's own spooled file would stay open, never read.
    response = client.post(
        f"/api/admin/courses/{course['id']}/lessons",
        input_stream=io.BytesIO(body),
        content_length=len(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=hr.headers,
    )
    assert response.status_code == 413
    answer = response.get_json()
    assert answer["error"]["code"] == "media_too_large"
    assert lesson_count(make) == 0 and stored_files(app, "filesystem") == []

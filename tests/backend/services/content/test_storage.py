"""Both media backends pass the same tests: filesystem and S3 (moto's server on loopback)."""

import io

import pytest

from backend.kernel.errors import DomainError
from backend.services.content.storage import FileStorage, new_key, storage_from_config

BACKENDS = pytest.mark.parametrize("media_backend", ["filesystem", "s3"])


@BACKENDS
def test_a_stored_file_reads_back_whole_and_by_seeking(app):
    storage = app.extensions["media_storage"]
    data = bytes(range(256)) * 9000  # a little over 2 MB: more than one read buffer
    key = new_key("lessons", ".bin")
    storage.put_file(key, io.BytesIO(data))
    assert storage.size(key) == len(data)
    with storage.open(key) as reader:
        assert reader.read() == data
        reader.seek(-10, io.SEEK_END)
        assert reader.read() == data[-10:]
        reader.seek(1_500_000)
        assert reader.read(4) == data[1_500_000:1_500_004]
    storage.delete(key)
    assert storage.size(key) is None
    storage.delete(key)  # deleting twice is harmless


@BACKENDS
def test_a_missing_file_has_no_size(app):
    assert app.extensions["media_storage"].size("lessons/aa/nothing") is None


@BACKENDS
def test_unreachable_storage_is_a_readable_503(app_factory, media_backend, tmp_path):
    if media_backend == "s3":
        app = app_factory(S3_ENDPOINT_URL="http://127.0.0.1:9")  # nothing listens on port 9
    else:
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("x")
        app = app_factory(MEDIA_ROOT=str(blocker))
    storage = app.extensions["media_storage"]
    with pytest.raises(DomainError) as caught:
        storage.put_file(new_key("lessons"), io.BytesIO(b"data"))
    assert caught.value.code == "storage_unavailable"
    assert caught.value.status == 503


def test_filesystem_keys_cannot_leave_the_media_root(app, tmp_path):
    storage = FileStorage(tmp_path / "media")
    with pytest.raises(DomainError):
        storage.path("../../etc/passwd")


def test_the_default_media_root_is_under_instance(app_factory):
    app = app_factory(MEDIA_STORAGE="filesystem", MEDIA_ROOT=None)
    assert storage_from_config(app).root.parts[-2:] == ("instance", "media")


def test_an_unknown_backend_refuses_to_start(app_factory):
    with pytest.raises(RuntimeError, match="MEDIA_STORAGE"):
        app_factory(MEDIA_STORAGE="ftp")

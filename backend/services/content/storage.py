"""Media storage: one interface, a local directory or an S3-compatible bucket by configuration."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app

from backend.clock import now
from backend.kernel.errors import DomainError, register

CHUNK = 1024 * 1024

register("storage_unavailable", 503, "媒体存储暂时无法访问，请稍后再试；文件未保存")


class MediaStorage(Protocol):
    """What lessons need of a storage backend; keys are relative paths like ``lessons/ab/…``."""

    kind: str

    def put_file(self, key: str, source: BinaryIO) -> None:
        """Store a readable file under ``key`` from its start, streamed in chunks."""

    def open(self, key: str) -> BinaryIO:
        """A seekable binary reader of the stored file (for the server's own checks)."""

    def size(self, key: str) -> int | None:
        """The stored file's size in bytes, None when there is none."""

    def delete(self, key: str) -> None:
        """Remove the file (nothing happens when it is missing)."""


def new_key(prefix: str, suffix: str = "") -> str:
    """A fresh random key under ``prefix``."""
    token = uuid.uuid4().hex
    return f"{prefix}/{token[:2]}/{token}{suffix}"


class FileStorage:
    """Files under a directory of the app host (one box, and ``make run``)."""

    kind = "filesystem"

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The file of ``key``; refuses keys that would leave the root."""
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise DomainError("not_found")
        return path

    def put_file(self, key: str, source: BinaryIO) -> None:
        """Copy in chunks to a temporary name beside the target, then rename (atomic)."""
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            source.seek(0)
            with open(partial, "wb") as dst:
                shutil.copyfileobj(source, dst, CHUNK)
            os.replace(partial, target)
        except OSError as exc:
            _remove_quietly(target.with_name(target.name + ".part"))
            raise DomainError("storage_unavailable") from exc

    def open(self, key: str) -> BinaryIO:
        """The stored file, opened for reading."""
        try:
            return open(self.path(key), "rb")
        except OSError as exc:
            raise DomainError("storage_unavailable") from exc

    def size(self, key: str) -> int | None:
        """Bytes of the stored file, None when missing."""
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        """Remove the stored file if it is there."""
        _remove_quietly(self.path(key))


def _remove_quietly(path: Path) -> None:
    with suppress(FileNotFoundError, NotADirectoryError):
        path.unlink()


class S3Storage:
    """An S3-compatible bucket through boto3, for several app hosts."""

    kind = "s3"

    def __init__(self, client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put_file(self, key: str, source: BinaryIO) -> None:
        """Upload in parts (boto3's managed transfer), never the whole file in memory."""
        source.seek(0)
        with s3_errors():
            self.client.upload_fileobj(source, self.bucket, key)

    def open(self, key: str) -> BinaryIO:
        """A seekable reader that fetches the object by HTTP Range requests as it is read."""
        size = self.size(key)
        if size is None:
            raise DomainError("not_found")
        return io.BufferedReader(_RangeReader(self, key, size), buffer_size=CHUNK)

    def size(self, key: str) -> int | None:
        """ContentLength of the object, None when missing."""
        from botocore.exceptions import ClientError

        try:
            with s3_errors(passthrough=ClientError):
                head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise DomainError("storage_unavailable") from exc
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        """Delete the object (S3 answers success for a missing key)."""
        with s3_errors():
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def copy(self, source: str, target: str) -> None:
        """Copy an object inside the bucket (server side)."""
        with s3_errors():
            self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)

    def presigned_get(self, key: str, ttl_s: int, content_type: str) -> tuple[str, datetime]:
        """A GET URL for the object that expires after ``ttl_s`` (S3 serves Range itself)."""
        with s3_errors():
            url = self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type},
                ExpiresIn=ttl_s,
            )
        return url, now() + timedelta(seconds=ttl_s)

    def presigned_post(self, key: str, max_bytes: int, ttl_s: int) -> dict:
        """A browser form upload straight to the bucket, limited to ``max_bytes``."""
        with s3_errors():
            return self.client.generate_presigned_post(
                self.bucket,
                key,
                Conditions=[["content-length-range", 1, max_bytes]],
                ExpiresIn=ttl_s,
            )

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start``..``end`` (inclusive) of the object."""
        with s3_errors():
            answer = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end}"
            )
            return answer["Body"].read()


class _RangeReader(io.RawIOBase):
    """A file-like view of an object: each read is one ranged GET (buffered by the caller)."""

    def __init__(self, storage: S3Storage, key: str, size: int) -> None:
        self.storage, self.key, self.length, self.offset = storage, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.offset, io.SEEK_END: self.length}[whence]
        self.offset = max(base + offset, 0)
        return self.offset

    def readinto(self, buffer) -> int:
        if self.offset >= self.length:
            return 0
        end = min(self.offset + len(buffer), self.length) - 1
        data = self.storage.read_range(self.key, self.offset, end)
        buffer[: len(data)] = data
        self.offset += len(data)
        return len(data)


@contextmanager
def s3_errors(passthrough: type[Exception] | None = None) -> Iterator[None]:
    """Turn an unreachable or failing bucket into the readable ``storage_unavailable``."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except Exception as exc:
        if passthrough is not None and isinstance(exc, passthrough):
            raise
        if isinstance(exc, BotoCoreError | ClientError | S3UploadFailedError):
            raise DomainError("storage_unavailable") from exc
        raise


def storage_from_config(app: Flask) -> MediaStorage:
    """Build the backend ``MEDIA_STORAGE`` names."""
    config = app.config
    if config["MEDIA_STORAGE"] == "s3":
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=config["S3_ENDPOINT_URL"],
            region_name=config["S3_REGION"],
            aws_access_key_id=config["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=config["S3_SECRET_ACCESS_KEY"],
            # Short timeouts and few retries: an unreachable bucket must answer the admin soon.
            config=Config(
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 2},
                signature_version="s3v4",
            ),
        )
        return S3Storage(client, config["S3_BUCKET"])
    if config["MEDIA_STORAGE"] != "filesystem":
        raise RuntimeError(f"MEDIA_STORAGE must be filesystem or s3, not {config['MEDIA_STORAGE']}")
    root = config["MEDIA_ROOT"] or os.path.join(app.instance_path, "media")
    return FileStorage(root)


def media_storage() -> MediaStorage:
    """The app's media storage."""
    return current_app.extensions["media_storage"]

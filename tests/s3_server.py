"""moto's standalone S3 server as a real HTTP peer on loopback (never boto3 patched in-process)."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
import uuid

import boto3
import requests

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "us-east-1"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """``python -m moto.server`` in a child process; one bucket per test."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._buckets = itertools.count(1)

    def start(self) -> None:
        """Start the server and wait until it answers."""
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                requests.get(self.url, timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError("moto server did not start")

    def stop(self) -> None:
        """Stop the child process."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self):
        """A boto3 client of the server (for creating buckets and looking inside them)."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def new_bucket(self) -> dict:
        """Create an empty bucket and return the app settings that use it."""
        name = f"media-{os.getpid()}-{next(self._buckets)}-{uuid.uuid4().hex[:6]}"
        self.client().create_bucket(Bucket=name)
        return {
            "S3_ENDPOINT_URL": self.url,
            "S3_BUCKET": name,
            "S3_REGION": REGION,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def keys(self, bucket: str) -> list[str]:
        """Every key in a bucket."""
        answer = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in answer.get("Contents", []))

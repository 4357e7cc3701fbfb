"""What a media file really is: its type by magic bytes, its duration or page count, read on
the server (PyAV for video and audio, pypdf for documents); never what the client claims."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import BinaryIO

from backend.kernel.errors import DomainError, register
from backend.models import LessonKind

register("media_empty", 422, "文件为空（0 字节），请重新选择文件")
register("media_too_large", 413, "文件超过大小上限（{limit}），请压缩后再上传")
register("media_type_mismatch", 422, "文件内容不是{expected}（识别为：{found}），请检查文件")
register("media_unreadable", 422, "文件已损坏或无法读取{what}，请检查文件后重新上传")

KIND_NAMES = {LessonKind.VIDEO: "视频", LessonKind.AUDIO: "音频", LessonKind.DOCUMENT: "PDF 文档"}
HEAD_BYTES = 64


@dataclass(frozen=True)
class Probed:
    """A checked media file."""

    content_type: str
    duration_s: int | None
    page_count: int | None


def sniff(head: bytes) -> tuple[str, str]:
    """(family, content type) from a file's first bytes; family is video, audio, pdf or other."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio", "audio/mp4"
        return "video", "video/quicktime" if brand == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm"
    if head.startswith(b"FLV"):
        return "video", "video/x-flv"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio", "audio/aac" if head[1] & 0xF6 == 0xF0 else "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio", "audio/wav"
    if head.startswith(b"OggS"):
        return "audio", "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio", "audio/flac"
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return "other", "ZIP 压缩包"
    return "other", "未知格式"


def check_size(size: int | None, limit: int) -> None:
    """Refuse empty files and files over the limit."""
    if not size:
        raise DomainError("media_empty")
    if size > limit:
        raise DomainError("media_too_large", limit=human_bytes(limit))


def human_bytes(size: int) -> str:
    """A size as people read it, one decimal at most (2 GB, 1.2 MB, 70.7 KB)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} 字节"


def probe(kind: LessonKind, reader: BinaryIO) -> Probed:
    """Check that ``reader`` holds a readable file of ``kind`` and measure it."""
    head = reader.read(HEAD_BYTES)
    reader.seek(0)
    family, content_type = sniff(head)
    expected = {LessonKind.VIDEO: ("video",), LessonKind.AUDIO: ("audio", "video")}.get(
        kind, ("pdf",)
    )
    # An .m4a and an .mp4 share their magic bytes: an audio lesson may come in a video box,
    # and the streams inside decide.
    if family not in expected:
        raise DomainError("media_type_mismatch", expected=KIND_NAMES[kind], found=content_type)
    if kind is LessonKind.DOCUMENT:
        return Probed(content_type, None, _page_count(reader))
    duration_s = _duration_s(kind, reader)
    if kind is LessonKind.AUDIO and family == "video":
        content_type = "audio/mp4"
    return Probed(content_type, duration_s, None)


def _duration_s(kind: LessonKind, reader: BinaryIO) -> int:
    import av

    wanted = "video" if kind is LessonKind.VIDEO else "audio"
    try:
        # PyAV closes the file it was given; the caller still needs it (to store it).
        with av.open(_Unclosed(reader), mode="r") as container:
            streams = [s for s in container.streams if s.type == wanted]
            if wanted == "video":
                # A cover picture in an audio file is a "video" stream of one frame.
                cover = av.stream.Disposition.attached_pic
                streams = [s for s in streams if not s.disposition & cover]
            if not streams:
                name = KIND_NAMES[kind]
                raise DomainError("media_type_mismatch", expected=name, found=f"无{name}轨道的文件")
            stream = streams[0]
            seconds = _container_seconds(container, stream)
            # Decoding one frame proves the data is there, not only a plausible header.
            decoded = next(iter(container.decode(stream)), None)
    except DomainError:
        raise
    except (av.error.FFmpegError, ValueError, StopIteration, OSError) as exc:
        raise DomainError("media_unreadable", what="时长") from exc
    if decoded is None or not seconds or seconds <= 0:
        raise DomainError("media_unreadable", what="时长")
    return max(math.ceil(seconds), 1)


class _Unclosed:
    """A reader whose ``close`` does nothing."""

    def __init__(self, reader: BinaryIO) -> None:
        self.read, self.seek, self.tell = reader.read, reader.seek, reader.tell

    def close(self) -> None:
        """Leave the underlying file open."""


def _container_seconds(container, stream) -> float | None:
    if container.duration:
        return container.duration / 1_000_000
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _page_count(reader: BinaryIO) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        pages = len(PdfReader(reader).pages)
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise DomainError("media_unreadable", what="页数") from exc
    if pages < 1:
        raise DomainError("media_unreadable", what="页数")
    return pages

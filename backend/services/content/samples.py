"""Generated media for the demo, tests and benchmarks: small real files, no committed binaries."""

from __future__ import annotations

import io
import math
import struct
from fractions import Fraction

SAMPLE_RATE = 8000
FRAME_SAMPLES = 1152


def video_bytes(seconds: int = 3, *, fps: int = 5, size: tuple[int, int] = (64, 48)) -> bytes:
    """An H.264 MP4 of ``seconds`` seconds (a moving colour bar), encoded by PyAV."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        width, height = size
        for n in range(seconds * fps):
            frame = av.VideoFrame(width, height, "yuv420p")
            # Brightness and colour change with time so that each frame differs.
            luma, chroma = (n * 9) % 256, (n * 5) % 256
            for plane, value in zip(frame.planes, (luma, chroma, 255 - chroma), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def audio_bytes(seconds: int = 3) -> bytes:
    """An MP3 of ``seconds`` seconds of a quiet tone, encoded by PyAV."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as container:
        stream = container.add_stream("mp3", rate=SAMPLE_RATE)
        stream.layout = "mono"
        samples = SAMPLE_RATE * seconds
        for start in range(0, samples, FRAME_SAMPLES):
            count = min(FRAME_SAMPLES, samples - start)
            frame = av.AudioFrame(format="s16p", layout="mono", samples=count)
            step = 2 * math.pi * 440 / SAMPLE_RATE
            tone = b"".join(
                struct.pack("<h", int(3000 * math.sin(step * (start + i)))) for i in range(count)
            )
            frame.planes[0].update(tone + bytes(frame.planes[0].buffer_size - len(tone)))
            frame.sample_rate = SAMPLE_RATE
            frame.pts = start
            frame.time_base = Fraction(1, SAMPLE_RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    """A PDF of ``pages`` blank A4 pages (pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()

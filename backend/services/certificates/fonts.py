"""Noto Serif CJK cut down to the characters a batch of certificates prints.

WeasyPrint embeds a font keeping every glyph id below the highest used, which for a CJK font is
most of it (about 0.7 MB a certificate); a subset made once per batch, holding only the batch's
characters, brings the embedded font to a few kilobytes and the rendering time down with it."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
import threading
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/opentype/noto-cjk")
WEIGHTS = {"regular": "NotoSerifCJK-Regular.ttc", "bold": "NotoSerifCJK-Bold.ttc"}
FAMILY = "Noto Serif CJK SC"
KEEP = 8  # subsets kept on disk per process

# The subsetter reports every table it touches at INFO: not for the app's logs.
logging.getLogger("fontTools").setLevel(logging.WARNING)
_lock = threading.Lock()
_made: dict[str, Path] = {}


@cache
def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="shigang-cert-fonts-"))


@cache
def source(weight: str) -> tuple[str, int]:
    """The Noto Serif CJK collection file of ``weight`` and the index of its SC face."""
    name = WEIGHTS[weight]
    candidates = [Path(d) / name for d in FONT_DIRS]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        fc_match = shutil.which("fc-match")
        style = "Bold" if weight == "bold" else "Regular"
        if fc_match:
            out = subprocess.run(  # noqa: S603 - fixed arguments
                [fc_match, "-f", "%{file}", f"{FAMILY}:style={style}"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if out and Path(out).is_file():
                found = Path(out)
    if found is None:
        raise FileNotFoundError(f"{FAMILY} ({weight}) is missing: install fonts-noto-cjk")
    collection = TTCollection(str(found), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == FAMILY:
                return str(found), index
    finally:
        collection.close()
    return str(found), 0


def subset_fonts(text: str) -> dict[str, Path]:
    """Per weight, a font file holding the glyphs of ``text`` (made once per character set)."""
    chars = "".join(sorted(set(text) | set("0123456789 ")))
    digest = hashlib.sha256(chars.encode()).hexdigest()[:24]
    with _lock:
        paths = {w: _workdir() / f"{digest}-{w}.otf" for w in WEIGHTS}
        if all(p.is_file() for p in paths.values()):
            return paths
        for weight, path in paths.items():
            file, index = source(weight)
            font = TTFont(file, fontNumber=index, lazy=True)
            options = subset.Options()
            options.desubroutinize = True
            options.layout_features = []
            options.name_IDs = ["*"]
            options.notdef_outline = True
            subsetter = subset.Subsetter(options)
            subsetter.populate(text=chars)
            subsetter.subset(font)
            font.save(str(path))
            font.close()
        _made[digest] = paths["regular"]
        while len(_made) > KEEP:
            old = next(iter(_made))
            _made.pop(old)
            for weight in WEIGHTS:
                (_workdir() / f"{old}-{weight}.otf").unlink(missing_ok=True)
        return paths

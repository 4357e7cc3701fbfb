"""Noto Serif CJK cut down to the characters a batch of certificates prints, for reportlab.

reportlab embeds TrueType outlines only, and Noto CJK's are CFF: the subset's few hundred glyphs
are converted to quadratic (glyf) outlines, which a full CJK font could not afford but a batch's
subset does in a fraction of a second. Made once per character set and registered with reportlab
under a name of its own; reportlab then embeds, per PDF, only the glyphs that PDF prints."""

from __future__ import annotations

import hashlib
import io
import logging
import shutil
import subprocess
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/opentype/noto-cjk")
WEIGHTS = {"regular": "NotoSerifCJK-Regular.ttc", "bold": "NotoSerifCJK-Bold.ttc"}
FAMILY = "Noto Serif CJK SC"
# Character sets kept registered per process (about 110 KB each): enough that one in use by a
# long close is not forgotten while other closes and re-issues register theirs.
KEEP = 32
# Cubic-to-quadratic tolerance in font units (of 1000 an em): invisible at certificate sizes.
MAX_ERROR = 1.0

# The subsetter reports every table it touches at INFO: not for the app's logs.
logging.getLogger("fontTools").setLevel(logging.WARNING)
_lock = threading.Lock()
_made: OrderedDict[str, dict[str, str]] = OrderedDict()


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


def _to_truetype(font: TTFont) -> None:
    """Replace the font's CFF outlines by quadratic glyf ones (fontTools' otf2ttf recipe)."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    metrics = font["hmtx"].metrics
    for name, glyph in glyf.glyphs.items():
        metrics[name] = (metrics[name][0], getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def _truetype_subset(weight: str, chars: str, postscript_name: str) -> bytes:
    file, index = source(weight)
    font = TTFont(file, fontNumber=index, lazy=True)
    try:
        options = subset.Options()
        options.desubroutinize = True
        options.layout_features = []
        # fontTools' default names (copyright, family, style, version, PostScript name): every
        # PDF embeds them, the license text included would be 2 KB a weight.
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        _to_truetype(font)
        # reportlab knows a font by its PostScript name: each character set needs its own, or a
        # later batch would be drawn with an earlier batch's glyphs (and miss some).
        for record in font["name"].names:
            if record.nameID == 6:
                record.string = postscript_name
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()
    finally:
        font.close()


def subset_fonts(text: str) -> dict[str, str]:
    """Per weight, the name of a registered reportlab font holding the glyphs of ``text``."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as ReportlabFont

    chars = "".join(sorted(set(text) | set("0123456789 ")))
    digest = hashlib.sha256(chars.encode()).hexdigest()[:24]
    with _lock:
        if digest in _made:
            _made.move_to_end(digest)
            return _made[digest]
        names = {}
        for weight in WEIGHTS:
            name = f"NotoSerifCJKsc-{weight.title()}-{digest}"
            data = io.BytesIO(_truetype_subset(weight, chars, name))
            # Not asciiReadable: it would embed the 95 ASCII glyphs in every PDF, used or not.
            pdfmetrics.registerFont(ReportlabFont(name, data, asciiReadable=False))
            names[weight] = name
        _made[digest] = names
        while len(_made) > KEEP:
            _, old = _made.popitem(last=False)
            _forget(old.values())
        return names


def _forget(names) -> None:
    """Unregister fonts from reportlab, which has no public way to forget one (each batch
    registers its own, so a long-running process would otherwise keep them all)."""
    from reportlab.lib import fonts as families
    from reportlab.pdfbase import pdfmetrics

    for name in names:
        pdfmetrics._fonts.pop(name, None)
        pdfmetrics._dynFaceNames.pop(name, None)
        families._ps2tt_map.pop(name.lower(), None)
        for bold in (0, 1):
            for italic in (0, 1):
                families._tt2ps_map.pop((name.lower(), bold, italic), None)

"""The CSP forbids inline script and style: no template may contain any."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[4] / "backend" / "templates").rglob("*.html"))
INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script element without src
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle=", re.I),
    re.compile(r"\son[a-z]+=", re.I),  # onclick=, onchange=, …
    re.compile(r"javascript:", re.I),
]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_inline_script_or_style(template):
    text = template.read_text(encoding="utf-8")
    for pattern in INLINE:
        assert not pattern.search(text), f"{template.name}: {pattern.pattern}"


def test_templates_were_found():
    assert len(TEMPLATES) >= 10

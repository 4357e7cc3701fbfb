"""What the WeChat simulator draws: mini-program codes as real PNGs, and its own page.

The page (``GET /_sim``) lists the face verifications not finished yet, each with buttons that
stand for the user going through ``wx.requestFacialVerify`` (passed, a mismatch, cancelled):
the demo's way to pass a face check asked on a computer. Plain HTML forms, no script.
"""

from __future__ import annotations

import html
import io
import re

import segno

# WeChat's rule for a scene: at most 32 visible characters of these.
SCENE = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}")


def wxacode_png(scene: str, page: str | None) -> bytes:
    """A PNG standing for the mini-program code: a QR code of the page and scene."""
    out = io.BytesIO()
    segno.make(f"{page or ''}?scene={scene}", error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


_OUTCOMES = (("10000", "通过"), ("10003", "人脸与身份证不一致"), ("90002", "用户取消"))


def simulator_page(open_verifications: dict[str, str]) -> bytes:
    """The simulator's own page: a button per outcome of each open face verification."""
    rows = []
    for verify_id, name in open_verifications.items():
        buttons = "".join(
            f'<button name="verify_ret" value="{ret}">{label}</button> ' for ret, label in _OUTCOMES
        )
        rows.append(
            '<li><form method="post" action="/_sim/face/complete-form">'
            f"{html.escape(name)} <code>{html.escape(verify_id)}</code> "
            f'<input type="hidden" name="verify_id" value="{html.escape(verify_id)}">'
            f"{buttons}</form></li>"
        )
    items = "".join(rows) or "<li>暂无待完成的人脸核身</li>"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>微信模拟器</title></head><body><h1>微信模拟器（仅用于演示和测试）</h1>"
        f"<h2>待完成的人脸核身（wx.requestFacialVerify）</h2><ul>{items}</ul>"
        "</body></html>"
    ).encode()

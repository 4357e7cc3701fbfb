"""Simulated face verification (人脸核身 2.0): getverifyid, queryverifyinfo, scripted outcomes.

WeChat's rules as its server API pages state them: ``getverifyid`` takes ``out_seq_no`` (5-32
characters of ``[0-9A-Za-z_-]``, unique per app id), ``cert_info`` and ``openid`` and answers a
``verify_id`` with ``expires_in``; ``queryverifyinfo`` must repeat ``out_seq_no`` and ``openid``
and send ``cert_hash`` (see :func:`backend.wechat.gateway.cert_hash`); if any of them disagrees
with what ``getverifyid`` received, WeChat answers an errcode instead of a ``verify_ret``. A check
passed only when ``errcode == 0`` and ``verify_ret == 10000``.

The errcodes for a mismatch, an unknown or expired ``verify_id`` and a check the user has not
finished are the simulator's choice (the pages name no number for them); the gateway treats every
non-zero errcode alike, so nothing depends on them.

Outcomes are scripted per ``verify_id``: :meth:`FaceVerifySim.complete` stands for the user going
through ``wx.requestFacialVerify`` with a given result (10000 passed, 10003 ID number mismatch,
90002 cancelled, ...); :meth:`FaceVerifySim.expire` makes a ``verify_id`` expired.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from backend.wechat.gateway import cert_hash

PASSED = 10000
VERIFY_ID_LIFETIME_S = 3600
# The simulator's errcodes (see the module docstring).
INVALID_ARGS = 47001
UNKNOWN_VERIFY_ID = 84001
VERIFY_ID_EXPIRED = 84002
MISMATCH = 84003
NOT_FINISHED = 84004
DUPLICATE_SEQ = 84005

_OUT_SEQ_NO = re.compile(r"^[0-9A-Za-z_-]{5,32}$")


@dataclass
class _Verification:
    out_seq_no: str
    openid: str
    cert_hash: str
    cert_name: str
    verify_ret: int | None = None
    expired: bool = False


class FaceVerifySim:
    """The face-verification state of one simulated app; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, _Verification] = {}
        self._seqs: set[str] = set()
        self.verify_ids: list[str] = []  # issued, oldest first

    def complete(self, verify_id: str, verify_ret: int = PASSED) -> None:
        """The user went through wx.requestFacialVerify with this result."""
        with self._lock:
            self._by_id[verify_id].verify_ret = int(verify_ret)

    def expire(self, verify_id: str) -> None:
        """Make a verify_id expired: querying it answers an errcode."""
        with self._lock:
            self._by_id[verify_id].expired = True

    def open_verifications(self) -> dict[str, str]:
        """verify_id -> name of every verification not finished (nor expired) yet."""
        with self._lock:
            return {
                vid: v.cert_name
                for vid, v in self._by_id.items()
                if v.verify_ret is None and not v.expired
            }

    def issued(self, verify_id: str) -> dict[str, Any]:
        """What getverifyid received for a verify_id (out_seq_no, openid, cert_hash, name)."""
        with self._lock:
            v = self._by_id[verify_id]
            return {
                "out_seq_no": v.out_seq_no,
                "openid": v.openid,
                "cert_hash": v.cert_hash,
                "cert_name": v.cert_name,
            }

    # -- endpoints (the caller has checked the access token) --------------------------------

    def get_verify_id(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST cityservice/face/identify/getverifyid."""
        seq = str(body.get("out_seq_no") or "")
        cert = body.get("cert_info")
        openid = str(body.get("openid") or "")
        if not _OUT_SEQ_NO.match(seq) or not isinstance(cert, dict) or not openid:
            return {"errcode": INVALID_ARGS, "errmsg": "invalid args"}
        parts = [str(cert.get(k) or "") for k in ("cert_type", "cert_name", "cert_no")]
        if parts[0] != "IDENTITY_CARD" or not parts[1] or not parts[2]:
            return {"errcode": INVALID_ARGS, "errmsg": "invalid cert_info"}
        verify_id = "vf" + secrets.token_urlsafe(24)
        with self._lock:
            if seq in self._seqs:
                return {"errcode": DUPLICATE_SEQ, "errmsg": "out_seq_no already used"}
            self._seqs.add(seq)
            self._by_id[verify_id] = _Verification(seq, openid, cert_hash(*parts), parts[1])
            self.verify_ids.append(verify_id)
        return {
            "errcode": 0,
            "errmsg": "ok",
            "verify_id": verify_id,
            "expires_in": VERIFY_ID_LIFETIME_S,
        }

    def query_verify_info(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST cityservice/face/identify/queryverifyinfo."""
        with self._lock:
            v = self._by_id.get(str(body.get("verify_id") or ""))
            if v is None:
                return {"errcode": UNKNOWN_VERIFY_ID, "errmsg": "invalid verify_id"}
            if v.expired:
                return {"errcode": VERIFY_ID_EXPIRED, "errmsg": "verify_id expired"}
            given = (body.get("out_seq_no"), body.get("openid"), body.get("cert_hash"))
            if given != (v.out_seq_no, v.openid, v.cert_hash):
                return {"errcode": MISMATCH, "errmsg": "cert_info or openid mismatch"}
            if v.verify_ret is None:
                return {"errcode": NOT_FINISHED, "errmsg": "verification not finished"}
            return {"errcode": 0, "errmsg": "ok", "verify_ret": v.verify_ret}

"""Exceptions raised by the WeChat gateway.

Messages carry only WeChat's errcode/errmsg or a generic description: never a secret,
access token or session_key, because these exceptions end up in logs and error reports.
"""

from __future__ import annotations


class WeChatError(Exception):
    """WeChat answered with a non-zero errcode (or the call failed in a known way)."""

    def __init__(self, errcode: int, errmsg: str = "") -> None:
        self.errcode = int(errcode)
        self.errmsg = str(errmsg)
        super().__init__(f"WeChat error {self.errcode}: {self.errmsg}")

    def __reduce__(self):
        """Keep the exception picklable with its two constructor arguments."""
        return (type(self), (self.errcode, self.errmsg))


class WeChatUnavailable(WeChatError):
    """WeChat is busy (errcode -1), timed out or unreachable; the caller may retry later."""

    def __init__(self, errcode: int = -1, errmsg: str = "system busy") -> None:
        super().__init__(errcode, errmsg)

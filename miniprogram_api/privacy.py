"""The privacy notice the mini-program shows, and whose version the first bind accepts."""

from __future__ import annotations

from backend.api import ResponseModel, endpoint
from backend.services.accounts import privacy
from miniprogram_api.blueprint import bp


class PrivacyNoticeOut(ResponseModel):
    """The current notice; send its ``version`` as ``privacy_version`` when binding."""

    version: str
    title: str
    text: str


@bp.get("/privacy-notice")
@endpoint(
    summary="个人信息处理规则（当前版本）",
    response=PrivacyNoticeOut,
    auth=None,
    tags=("auth",),
)
def privacy_notice():
    notice = privacy.current_notice()
    return PrivacyNoticeOut(version=notice.version, title=notice.title, text=notice.text)

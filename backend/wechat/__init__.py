"""WeChat integration: the API gateway, open-data crypto and a local simulator for tests."""

from backend.wechat.crypto import InvalidUserData, decrypt_user_data, encrypt_user_data
from backend.wechat.errors import WeChatError, WeChatUnavailable
from backend.wechat.gateway import WeChatGateway

__all__ = [
    "InvalidUserData",
    "WeChatError",
    "WeChatGateway",
    "WeChatUnavailable",
    "decrypt_user_data",
    "encrypt_user_data",
]

"""Mini-program codes (wxa/getwxacodeunlimit) through the gateway: an image, or an errcode."""

import os
import struct
import uuid

import pytest
import redis

from backend.wechat.errors import WeChatError, WeChatUnavailable
from backend.wechat.gateway import WeChatGateway
from backend.wechat.simulator import SimulatorServer

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def sim():
    with SimulatorServer() as server:
        yield server


@pytest.fixture
def gateway(sim):
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"test{os.getpid()}:{uuid.uuid4().hex[:12]}:"
    gateway = WeChatGateway(sim.app_id, sim.secret, sim.url, client, prefix)
    yield gateway
    gateway.close()
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_a_code_is_a_png_of_the_page_and_scene(sim, gateway):
    png = gateway.get_wxacode_unlimited("wl=abc_DEF-123", "pages/web-login/index")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])  # a square QR code, large enough to scan
    assert width == height >= 100
    assert sim.app.wxacodes == [{"scene": "wl=abc_DEF-123", "page": "pages/web-login/index"}]


@pytest.mark.parametrize("scene", ["", "x" * 33, "空格 不行"])
def test_a_scene_wechat_refuses_is_40169(gateway, scene):
    with pytest.raises(WeChatError) as caught:
        gateway.get_wxacode_unlimited(scene)
    assert caught.value.errcode == 40169


def test_an_expired_access_token_is_refreshed_once(sim, gateway):
    gateway.get_wxacode_unlimited("fc=1")
    sim.app.expire_access_tokens()
    assert gateway.get_wxacode_unlimited("fc=2").startswith(b"\x89PNG")


def test_system_busy_is_unavailable(sim, gateway):
    sim.fail_next("wxa/getwxacodeunlimit", -1)
    with pytest.raises(WeChatUnavailable):
        gateway.get_wxacode_unlimited("fc=1")

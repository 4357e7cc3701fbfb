"""Face verification (人脸核身 2.0) through the gateway against scripted simulator outcomes."""

import os
import uuid

import pytest
import redis

from backend.wechat.errors import WeChatError, WeChatUnavailable
from backend.wechat.gateway import WeChatGateway, cert_hash
from backend.wechat.simulator import SimulatorServer
from backend.wechat.simulator_face import MISMATCH, NOT_FINISHED, VERIFY_ID_EXPIRED

REDIS_URL = "redis://127.0.0.1:6379/0"
NAME, ID_NO, OPENID = "张三", "310101199801011234", "oZhang"


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


def test_cert_hash_follows_wechats_worked_example():
    # The example on WeChat's queryverifyinfo page.
    digest = cert_hash("IDENTITY_CARD", "张三", "310101199801011234")
    assert digest == "3c241f7ff324977aeb91f173bb2a7b06569e6fd784d5573db34a636d8671108b"


def _start(gateway, seq="fc-00001"):
    return gateway.get_verify_id(seq, NAME, ID_NO, OPENID)["verify_id"]


def test_a_passed_verification(sim, gateway):
    started = gateway.get_verify_id("fc-00001", NAME, ID_NO, OPENID)
    assert started["expires_in"] == 3600
    verify_id = started["verify_id"]
    # The simulator received the same cert_hash WeChat would compute from cert_info.
    assert sim.face.issued(verify_id)["cert_hash"] == cert_hash("IDENTITY_CARD", NAME, ID_NO)
    sim.face.complete(verify_id, 10000)
    assert gateway.query_verify_info(verify_id, "fc-00001", NAME, ID_NO, OPENID) == 10000


@pytest.mark.parametrize("verify_ret", [10003, 90002])
def test_mismatch_and_cancel_come_back_as_verify_ret(sim, gateway, verify_ret):
    verify_id = _start(gateway)
    sim.face.complete(verify_id, verify_ret)
    assert gateway.query_verify_info(verify_id, "fc-00001", NAME, ID_NO, OPENID) == verify_ret


def test_an_expired_verify_id_is_a_wechat_error(sim, gateway):
    verify_id = _start(gateway)
    sim.face.complete(verify_id, 10000)
    sim.face.expire(verify_id)
    with pytest.raises(WeChatError) as caught:
        gateway.query_verify_info(verify_id, "fc-00001", NAME, ID_NO, OPENID)
    assert caught.value.errcode == VERIFY_ID_EXPIRED


def test_other_identity_data_than_at_the_start_is_refused(sim, gateway):
    verify_id = _start(gateway)
    sim.face.complete(verify_id, 10000)
    with pytest.raises(WeChatError) as caught:
        gateway.query_verify_info(verify_id, "fc-00001", "李四", ID_NO, OPENID)
    assert caught.value.errcode == MISMATCH
    with pytest.raises(WeChatError):
        gateway.query_verify_info(verify_id, "fc-00001", NAME, ID_NO, "oSomeoneElse")


def test_asking_before_the_user_finished(sim, gateway):
    verify_id = _start(gateway)
    with pytest.raises(WeChatError) as caught:
        gateway.query_verify_info(verify_id, "fc-00001", NAME, ID_NO, OPENID)
    assert caught.value.errcode == NOT_FINISHED


def test_out_seq_no_is_unique_and_well_formed(gateway):
    _start(gateway)
    with pytest.raises(WeChatError):
        _start(gateway)
    with pytest.raises(WeChatError):
        gateway.get_verify_id("x", NAME, ID_NO, OPENID)


def test_wechat_errors_map_like_every_other_call(sim, gateway):
    sim.fail_next("cityservice/face/identify/getverifyid", -1)
    with pytest.raises(WeChatUnavailable):
        _start(gateway)
    sim.fail_next("cityservice/face/identify/getverifyid", 45011)
    with pytest.raises(WeChatError) as caught:
        _start(gateway, "fc-00002")
    assert caught.value.errcode == 45011


def test_a_rejected_access_token_is_refreshed_once(sim, gateway):
    verify_id = _start(gateway)
    sim.face.complete(verify_id)
    sim.expire_access_tokens()
    assert gateway.query_verify_info(verify_id, "fc-00001", NAME, ID_NO, OPENID) == 10000
    assert sim.calls["cityservice/face/identify/queryverifyinfo"] == 2

"""The app factory's WeChat gateway: one per app, sharing the access token through Redis."""

from backend.wechat import WeChatGateway
from tests.signin import WeChatUser, bind, bind_ticket, phone_code


def test_gateway_follows_the_settings(app, wechat_simulator):
    gateway = app.extensions["wechat"]
    assert isinstance(gateway, WeChatGateway)
    assert gateway.app_id == wechat_simulator.app_id
    assert gateway.api_base_url == wechat_simulator.url


def test_workers_share_one_access_token(app, app_factory, make, wechat_simulator, redis_client):
    """Two apps on one Redis prefix stand for two workers: one token fetch serves both."""
    make.trainee(mobile="13800138021", account="worker-one")
    make.trainee(mobile="13800138022", account="worker-two")
    make.session.commit()
    key = f"{app.config['REDIS_PREFIX']}wechat:{wechat_simulator.app_id}_access_token"
    assert redis_client.get(key) is None
    fetches = wechat_simulator.token_fetches
    for account, mobile in (("worker-one", "13800138021"), ("worker-two", "13800138022")):
        client = app_factory().test_client()
        ticket = bind_ticket(client, WeChatUser())
        response = bind(client, ticket, account, phone_code=phone_code(wechat_simulator, mobile))
        assert response.status_code == 200, response.get_json()
    assert wechat_simulator.token_fetches == fetches + 1
    assert redis_client.get(key) is not None

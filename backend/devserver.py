"""`make run`: migrate a SQLite database, seed the demo, start the WeChat simulator and a credit
drainer, serve."""

from __future__ import annotations

import argparse
import os
import threading
from pathlib import Path

from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler

from backend import create_app
from backend.demo import DEMO_PASSWORD, seed_demo
from backend.demo_certificates import ensure_signing_pair
from backend.drainer import run_in_thread
from backend.extensions import db
from backend.wechat.simulator import SimulatorServer


def main() -> None:
    """Prepare everything a newcomer needs and serve the app on localhost."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    if os.environ.get("SHIGANG_ENV", "development") != "development":
        raise SystemExit("backend.devserver is for development only")

    Path("instance").mkdir(exist_ok=True)
    simulator = SimulatorServer(app_id="wxdemo00000000000", secret="dev-wechat-secret")  # noqa: S106
    simulator.start()
    app = create_app(
        {
            "WECHAT_APP_ID": simulator.app_id,
            "WECHAT_APP_SECRET": simulator.secret,
            "WECHAT_API_BASE_URL": simulator.url,
            # Where the certificates' QR codes and verify_url point.
            "PUBLIC_BASE_URL": f"http://{args.host}:{args.port}",
        }
    )
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        ensure_signing_pair()
    base = f"http://{args.host}:{args.port}"
    print(
        "\n适岗 Shigang 开发服务已就绪\n"
        f"  健康检查      {base}/healthz\n"
        f"  管理后台      {base}/admin/  （operator / hr / reviewer，密码 {DEMO_PASSWORD}）\n"
        f"  学员门户      {base}/learn/  （电脑扫码登录，见 README 的 The portal）\n"
        f"  小程序 API    {base}/api/v1/openapi.json\n"
        f"  微信模拟器    {simulator.url}  （wx.login 的 code 形如 zhangwei.1）\n"
        f"  培训证明      {base}/admin/projects  （已结束的项目 → 结项与补贴申领 → 培训证明）\n",
        flush=True,
    )
    # Production runs `flask drain-credit` as its own process; here a thread does the same work.
    stop = threading.Event()
    drainer = run_in_thread(app, stop)
    try:
        app.run(
            host=args.host,
            port=args.port,
            threaded=True,
            use_reloader=False,
            request_handler=request_handler(app.config["REQUEST_READ_TIMEOUT_S"]),
        )
    finally:
        stop.set()
        drainer.join(timeout=5)
        simulator.stop()


def request_handler(seconds: float) -> type[WSGIRequestHandler]:
    """The development server's handler with a socket timeout: a client that stops sending
    its headers or body is answered (408) or dropped after ``seconds``, its thread freed."""
    return type("TimedRequestHandler", (WSGIRequestHandler,), {"timeout": seconds})


if __name__ == "__main__":
    main()

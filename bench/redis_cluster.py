"""A throw-away Redis Cluster of three masters on free localhost ports (tests and benchmarks).

Each node is a ``redis-server`` in cluster mode without persistence, its files in a temporary
directory; ``redis-cli --cluster create`` assigns the slots. A node's cluster bus listens on
its port + 10000, so both must be free.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redis.cluster


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_ports(count: int) -> list[int]:
    """Ports free now whose bus ports (+10000) are free too."""
    picked: list[int] = []
    rng = random.SystemRandom()
    while len(picked) < count:
        port = rng.randrange(20000, 55000)
        if port not in picked and _free(port) and _free(port + 10000):
            picked.append(port)
    return picked


class PrivateRedisCluster:
    """Three redis-server masters in one cluster; ``url`` is a seed node's."""

    def __init__(self, root: Path | None = None, masters: int = 3) -> None:
        if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
            raise RuntimeError("redis-server and redis-cli are needed for a Redis Cluster")
        self.root = Path(tempfile.mkdtemp(prefix="shigang-cluster-", dir=root))
        self.processes: list[subprocess.Popen] = []
        self.client: redis.cluster.RedisCluster | None = None  # once the cluster is up
        for attempt in range(5):
            self.ports = _pick_ports(masters)
            try:
                self._start()
                return
            except RuntimeError:
                self.stop()
                if attempt == 4:
                    raise

    def _start(self) -> None:
        for port in self.ports:
            node = self.root / str(port)
            node.mkdir(parents=True, exist_ok=True)
            command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                       "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                       "--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no",
                       "--dir", str(node)]  # fmt: skip
            self.processes.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        for port in self.ports:
            self._wait(lambda p=port: redis.Redis(port=p).ping())
        created = subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if created.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {created.stdout[-500:]}")
        for port in self.ports:
            self._wait(lambda p=port: redis.Redis(port=p).cluster("info")["cluster_state"] == "ok")
        self.client = redis.cluster.RedisCluster(
            host="127.0.0.1", port=self.ports[0], decode_responses=True
        )
        self._wait(lambda: self.client.ping())

    @staticmethod
    def _wait(ready, deadline_s: float = 30) -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            try:
                if ready():
                    return
            except (redis.RedisError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not come up")

    @property
    def url(self) -> str:
        """The seed node's URL (``REDIS_CLUSTER=1``)."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def flushall(self) -> None:
        """FLUSHALL on every master."""
        for port in self.ports:
            redis.Redis(port=port).flushall()

    def stop(self) -> None:
        """Stop every node and remove their files."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes = []
        if self.client is not None:
            self.client.close()
            self.client = None
        shutil.rmtree(self.root, ignore_errors=True)

"""Extensions, created unbound and bound to an app with ``init_app``."""

from __future__ import annotations

import logging

import redis
import redis.cluster
from flask import Flask, current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)

# Stable constraint names so that Alembic migrations are reproducible on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()


class RedisExtension:
    """The Redis connection: the real server when REDIS_URL is set, else an embedded stand-in."""

    def init_app(self, app: Flask) -> None:
        """Connect to ``REDIS_URL`` or, where allowed, start an in-process stand-in."""
        url = app.config.get("REDIS_URL")
        if url:
            # Bounded waits: a hung Redis becomes a 503 in seconds, not a stuck worker. No
            # retries (redis-py retries a timed-out command three times with backoff by default,
            # which held a request up to 9.5 s): one wait of the timeout, then the 503. Every
            # connection of the pool has them, the beat's held one included.
            timeout = app.config.get("REDIS_SOCKET_TIMEOUT_S", 2.0)
            kind = redis.cluster.RedisCluster if app.config.get("REDIS_CLUSTER") else redis.Redis
            client = kind.from_url(
                url,
                decode_responses=True,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
            )
            embedded = False
        elif app.config.get("ALLOW_EMBEDDED_REDIS"):
            import fakeredis

            log.warning("REDIS_URL is not set: using an embedded in-process Redis stand-in")
            client = fakeredis.FakeRedis(decode_responses=True)
            embedded = True
        else:
            raise RuntimeError("REDIS_URL is not set and the embedded stand-in is not allowed")
        app.extensions["redis"] = client
        app.extensions["redis_embedded"] = embedded

    @property
    def client(self) -> redis.Redis:
        """The current app's Redis client."""
        return current_app.extensions["redis"]

    def key(self, *parts: object) -> str:
        """A key under this deployment's prefix."""
        return current_app.config["REDIS_PREFIX"] + ":".join(str(p) for p in parts)

    @staticmethod
    def partitions() -> int:
        """How many partitions the live learning state is kept in."""
        return int(current_app.config.get("REDIS_PARTITIONS", 16))

    def partition_of(self, trainee_id: int) -> int:
        """The partition of a trainee's live learning state."""
        return int(trainee_id) % self.partitions()

    def tagged(self, partition: int, *parts: object) -> str:
        """A key of a partition: its hash tag puts every key of the partition in one slot of a
        Redis Cluster, so one script call may touch them all."""
        return f"{current_app.config['REDIS_PREFIX']}{{p{partition}}}" + ":".join(
            str(p) for p in parts
        )

    @property
    def clustered(self) -> bool:
        """Whether the client is a Redis Cluster client."""
        return isinstance(self.client, redis.cluster.RedisCluster)


redis_store = RedisExtension()

"""The live-session script's connection: one per thread, given back when the thread ends."""

import threading

import pytest

from backend.extensions import redis_store
from backend.services.learning import live

pytestmark = pytest.mark.both_redis  # on one Redis and on a Redis Cluster


@pytest.mark.one_redis  # the one-server client's pooled connection (a cluster client has none)
def test_a_thread_gives_its_redis_connection_back_when_it_ends(app):
    # The development server starts a thread per request: each beat's thread takes the
    # script's connection, and the pool must get it back, or it runs out after max_connections.
    pool = redis_store.client.connection_pool
    in_use = len(pool._in_use_connections)
    seen = []

    def beat_thread():
        conn = live._held_connection(pool)
        assert live._held_connection(pool) is conn  # kept for the thread's next call
        conn.send_command("PING")
        seen.append((conn, conn.read_response()))

    for _ in range(30):
        thread = threading.Thread(target=beat_thread)
        thread.start()
        thread.join()
    assert [reply for _, reply in seen] == ["PONG"] * 30
    assert len(pool._in_use_connections) == in_use
    assert len({id(conn) for conn, _ in seen}) == 1  # the same connection, given back each time


def test_a_beats_keys_are_its_sessions_keys_and_its_tokens(app):
    # The hot path builds them from one prefix read; they must be the keys the other
    # operations (check-in, close, the sweep) use, and all in the trainee's partition.
    from backend.services.accounts import tokens

    with app.app_context():
        trainee_id, session_id = 37, 901
        token = f"{redis_store.partition_of(trainee_id)}.secret-part"
        keys, wm = live.beat_keys(token, session_id)
        state, stream, held, wm_key, checks = live.session_keys(session_id, trainee_id)
        assert keys == [state, stream, held, tokens.token_key(token), checks]
        assert wm + str(trainee_id) == wm_key


def test_beats_and_check_outs_load_the_library_where_redis_lacks_it(
    app, client, make, frozen_clock
):
    # A restarted Redis without persistence (or FUNCTION FLUSH) has no library: the next call
    # loads it and goes on, as a flushed script cache did for EVALSHA.
    from tests.learning_driver import Learner, enrolled

    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    library = live.FUNCTION
    redis_store_client = app.extensions["redis"]
    redis_store_client.function_delete(library)
    assert me.play(60)["credited_s"] == 60
    redis_store_client.function_delete(library)
    assert me.end()["credited_s"] >= 60


# The session hash's packed fields, as the script lays them out.
PACKED = ["st", "last", "seq", "play", "pos", "cred", "rem", "cs", "cnext", "fs", "fnext"]
PACKED += ["dday", "dused"]
FIXED = ["id", "ls", "pj", "gap", "from", "until", "tz", "cap", "dev"]


def _to_previous_layout(redis_client, key):
    """Rewrite a session's hash as the version before the packed fields kept it."""
    h, k = redis_client.hmget(key, "h", "k")
    fields = dict(zip(PACKED, h.split("|"), strict=True))
    fields.update(zip(FIXED, k.split("|", len(FIXED) - 1), strict=True))
    redis_client.hdel(key, "h", "k")
    redis_client.hset(key, mapping=fields)


def test_state_the_previous_version_wrote_is_read_and_converted(
    app, client, make, redis_client, frozen_clock
):
    # During a rolling deploy both versions run: a session checked in on an old host has each
    # field apart. The new version reads it, credits exactly as it would have, and packs it.
    from tests.learning_driver import Learner, enrolled

    _, lesson, trainee = enrolled(make, attention_checks_enabled=False)
    me = Learner(client, make, trainee)
    me.check_in(lesson)
    assert me.play(60)["credited_s"] == 60
    key = live.state_key(me.session_id, trainee.id)
    with app.app_context():
        before = live.peek_many([(me.session_id, trainee.id)])
        _to_previous_layout(redis_client, key)
        assert live.peek_many([(me.session_id, trainee.id)]) == before  # read in either layout
        assert live.peek(me.session_id, trainee.id) == (60, 60)
    assert redis_client.hget(key, "h") is None
    assert me.play(60)["credited_s"] == 120  # no second lost, none credited twice
    # Converted: what a host of the previous version reads is the trainee and status MOVED,
    # which it answers as a status it does not know (an error), changing nothing.
    assert redis_client.hget(key, "h") is not None
    assert (
        redis_client.hmget(key, "tr", "st", "last", "cred")
        == [str(trainee.id), "packed"] + [None] * 2
    )
    with app.app_context():
        assert live.peek(me.session_id, trainee.id) == (120, 60)  # the position played to
    assert me.end()["credited_s"] == 120

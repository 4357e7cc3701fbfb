"""Learning time: live sessions in Redis, heartbeats, attention and face checks, the drain into the
database, progress and the record chain.
"""

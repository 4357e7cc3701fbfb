"""Bind tickets: single use, short-lived, stored by hash."""

from backend.services.accounts import bind_tickets


def test_ticket_is_taken_once(app):
    ticket, ttl = bind_tickets.issue("oUser", "c2Vzc2lvbmtleQ==", None)
    assert ttl == app.config["BIND_TICKET_TTL_S"]
    taken = bind_tickets.take(ticket)
    assert taken == bind_tickets.BindTicket("oUser", "c2Vzc2lvbmtleQ==", None)
    assert bind_tickets.take(ticket) is None


def test_ticket_expires_and_is_not_the_key(app, redis_client):
    ticket, _ = bind_tickets.issue("oUser", "a2V5", "uUnion")
    [key] = list(redis_client.scan_iter(match=app.config["REDIS_PREFIX"] + "bind-ticket:*"))
    assert ticket not in key
    assert 0 < redis_client.ttl(key) <= app.config["BIND_TICKET_TTL_S"]

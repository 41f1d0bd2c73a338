"""The PostgreSQL store across a real server restart: the pool's connections the restart dropped are
replaced together, and a write waiting for a connection gets one once the server answers again (the
pool's own reconnection stops trying after a while and backs off between tries)."""

from __future__ import annotations

import logging
import threading

import pytest

from pg_server import PgServer
from sestui.store.postgres import PostgresStore
from sestui.store.postgres import pool as pgpool
from test_store import add, event_keys, synthetic_delivery


@pytest.fixture(scope="module")
def own_server(pg_server):  # the session's decides whether PG tests run (or skip, or fail in CI)
    """A server of this module's own: these tests shut it down, which no other test must see."""
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def url(own_server, request):
    name = f"restart_{request.node.name.split('[')[0][-40:]}".lower()
    with own_server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return own_server.url(name)


def failed_checks(caplog) -> int:
    """How many connections psycopg_pool's check refused when handing them out: each after the first
    came after a sleep doubling from 1 s (its backoff between checks)."""
    return sum(1 for r in caplog.records if r.name == "psycopg.pool" and r.getMessage().startswith("connection failed check"))


def test_after_a_restart_one_dropped_connection_replaces_every_idle_one(own_server, url, caplog):
    caplog.set_level(logging.INFO, logger="psycopg.pool")
    with PostgresStore(url, pool_size=4) as store:
        held = [store.pool.getconn() for _ in range(4)]  # four idle connections, as after a busy moment
        for conn in held:
            store.pool.putconn(conn)
        assert store.pool.get_stats()["pool_available"] == 4
        own_server.pause()
        own_server.resume()
        caplog.clear()
        assert add(store, synthetic_delivery(1)).stored == 1
        assert failed_checks(caplog) == 1  # not four, 0 + 1 + 2 s of sleeps apart
        assert event_keys(store) == [("m-000001", "delivery", "user1@example.com", event_keys(store)[0][3])]


def test_a_write_waiting_through_the_outage_goes_through_once_the_server_answers(
        own_server, url, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="psycopg.pool")
    monkeypatch.setattr(pgpool, "POOL_TIMEOUT_S", 40)  # the write waits through the whole outage
    with PostgresStore(url, pool_size=4) as store:
        own_server.pause()
        done: dict[str, object] = {}

        def write():
            try:
                done["result"] = add(store, synthetic_delivery(2))
            except Exception as exc:  # what the test reports if the wait failed
                done["error"] = exc

        writer = threading.Thread(target=write)
        try:
            writer.start()
            gave_up = threading.Event()

            class Watch(logging.Handler):
                def emit(self, record):
                    if "reconnection attempt" in record.getMessage():
                        gave_up.set()
            watch = Watch()
            logging.getLogger("psycopg.pool").addHandler(watch)
            try:
                # The pool has given up reconnecting once: on its own it would try again only at a
                # new request for a connection, and the waiting write is one old request.
                assert gave_up.wait(30), "the pool never gave up reconnecting"
            finally:
                logging.getLogger("psycopg.pool").removeHandler(watch)
            assert writer.is_alive() and not done
        finally:
            own_server.resume()
            writer.join(60)
        assert "error" not in done, done
        assert done["result"].stored == 1
        assert [k[0] for k in event_keys(store)] == ["m-000002"]

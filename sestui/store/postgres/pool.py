"""The PostgreSQL store's connection pool (psycopg_pool), and how a write gets through within about
a second of the server answering again after a restart.

psycopg_pool retries a failed connect with a doubling delay (1 s, 2 s, ...) until reconnect_timeout,
then stops trying until a request for a connection finds the pool below its size; and it checks the
connections it hands out one per try, sleeping 0, 1, 2, 4 s between tries. So: a connection that
fails its check has every idle one checked at once (a restart dropped them all); a connect that
fails gives up soon; and a caller waits in short slices, each a new request, so that a connect is
tried about every WAIT_SLICE_S while the server is down.
"""

from __future__ import annotations

import time

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from sestui.store.postgres.notify import CONNECT_TIMEOUT_S

POOL_TIMEOUT_S = 10
RECONNECT_GIVE_UP_S = 0.5
WAIT_SLICE_S = 0.5


def open_pool(url: str, *, size: int, configure) -> ConnectionPool:
    """The pool: autocommit connections, each `configure`d, checked before it is handed out."""

    def check(conn: psycopg.Connection) -> None:
        try:
            ConnectionPool.check_connection(conn)
        except psycopg.Error:
            pool.check()  # the other idle ones now, not one per try with a growing sleep between
            raise

    pool = ConnectionPool(url, min_size=1, max_size=size, open=True, timeout=POOL_TIMEOUT_S, name="sestui",
                          reconnect_timeout=RECONNECT_GIVE_UP_S,
                          kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                          configure=configure, check=check)
    return pool


def getconn(pool: ConnectionPool) -> psycopg.Connection:
    """A connection from `pool` within POOL_TIMEOUT_S (PoolTimeout after it), asked for in slices."""
    deadline = time.monotonic() + POOL_TIMEOUT_S
    while True:
        try:
            return pool.getconn(timeout=max(0.01, min(WAIT_SLICE_S, deadline - time.monotonic())))
        except PoolTimeout:
            if time.monotonic() >= deadline:
                raise

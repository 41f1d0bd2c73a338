"""The PostgreSQL fixtures (tests/pg_server.py) for the ops tests that run on both backends."""

from pg_server import pg_server, pg_url  # noqa: F401  (fixtures)

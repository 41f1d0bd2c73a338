"""The PostgreSQL fixtures for the store tests (the server helper is tests/pg_server.py)."""

from pg_server import pg_empty_url, pg_server, pg_url  # noqa: F401  (fixtures)

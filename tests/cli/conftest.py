"""The PostgreSQL fixtures (tests/pg_server.py) for the tests here that run on a PostgreSQL store."""

from pg_server import pg_empty_url, pg_server, pg_url  # noqa: F401  (fixtures)

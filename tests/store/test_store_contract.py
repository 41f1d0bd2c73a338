"""The store contract: every test of test_store.py and test_classification.py that exercises the store
through its public methods runs here against BOTH backends, through one parametrized `store` fixture,
with its assertions untouched. Each test left out is named below with the reason; the check at the
top fails when one of them is renamed or a new test would be dropped without a reason."""

from __future__ import annotations

import inspect

import pytest

import test_classification
import test_store
from sestui.store import Store
from sestui.store.postgres import PostgresStore

# test name -> why it runs on SQLite only (in test_store.py and test_classification.py).
SQLITE_ONLY = {
    # The file itself: PostgreSQL has no file (test_pgstore.py tests opening, versions and refusals).
    "test_new_database_file_is_private": "file permissions of the SQLite file",
    "test_database_uses_wal_and_a_busy_timeout": "SQLite PRAGMAs on store.conn",
    "test_user_version_is_the_number_of_migrations": "PRAGMA user_version (PG: sestui_schema, test_pgstore.py)",
    "test_reopening_keeps_data_and_version": "reopens a file path (PG: test_pgstore.py reopens a URL)",
    "test_newer_schema_is_refused_with_a_clear_error": "writes PRAGMA user_version (PG: test_pgstore.py)",
    "test_file_that_is_not_a_database_is_refused": "a non-SQLite file at the path",
    "test_readonly_open_refuses_a_missing_file_or_an_empty_database": "a missing file (PG: test_pgstore.py)",
    "test_directory_path_is_refused": "a directory as the path",
    # Concurrency through one file: PG's own cross-process and thread tests are in test_pgstore.py.
    "test_two_store_objects_on_one_file_writing_concurrently_lose_nothing": "two Store objects on one file path",
    "test_two_processes_writing_concurrently_lose_nothing": "child processes open a SQLite path",
    "test_two_processes_creating_one_new_database_both_succeed": "child processes create one SQLite file",
    # SQLite's EXPLAIN QUERY PLAN through store.conn (PG's plans: test_pg_plans.py).
    "test_hot_query_plan_uses_an_index": "EXPLAIN QUERY PLAN through store.conn.set_trace_callback",
}

MODULES = (test_store, test_classification)
CONTRACT = {name: fn for module in MODULES for name, fn in vars(module).items()
            if name.startswith("test_") and callable(fn) and name not in SQLITE_ONLY}


def test_the_contract_takes_every_other_store_test():
    every = {name for module in MODULES for name in vars(module) if name.startswith("test_")}
    assert set(SQLITE_ONLY) <= every, set(SQLITE_ONLY) - every
    for name, fn in CONTRACT.items():
        params = set(inspect.signature(fn).parameters)
        assert "store" in params and "db_path" not in params and "tmp_path" not in params, name
        assert "store.conn" not in inspect.getsource(fn), name
    assert len(CONTRACT) >= 30


BACKENDS = ["sqlite", "postgresql-pipeline", "postgresql-copy"]


def open_backend(request, tmp_path):
    """The `store` fixture's body: each backend in turn (test_store_contract_more.py uses it too)."""
    if request.param == "sqlite":
        with Store(tmp_path / "events.db") as s:
            yield s
    else:
        url = request.getfixturevalue("pg_url")
        with PostgresStore(url, write_mode=request.param.split("-")[1]) as s:
            yield s


store = pytest.fixture(params=BACKENDS, name="store")(open_backend)
globals().update(CONTRACT)  # collected here, with this module's `store`

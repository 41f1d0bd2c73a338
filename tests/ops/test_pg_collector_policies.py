"""The collector and the suppression policies on the PostgreSQL store: their tests (written for
SQLite, assertions untouched) run here again with `store` a PostgresStore."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import pg_server as pg_helpers
import test_collector
import test_policies
from sestui.store.postgres import PostgresStore

# Tests that open the SQLite file by path themselves, or run the CLI on a file: not about the store.
NOT_HERE = {"test_prune_command_needs_an_age_and_reports_counts"}


def _takes_store(fn) -> bool:
    source = inspect.getsource(fn)
    return "store" in inspect.signature(fn).parameters and "Store(" not in source and "store.path" not in source


REUSED = {f"{name}__{mod.__name__.removeprefix('test_')}": fn for mod in (test_collector, test_policies) for name, fn in vars(mod).items()
          if name.startswith("test_") and callable(fn) and name not in NOT_HERE and _takes_store(fn)}


def test_most_collector_and_policy_tests_are_reused():
    assert len(REUSED) >= 15, sorted(REUSED)


def _root_conftest(request):
    """tests/conftest.py as pytest loaded it (`import conftest` may name another directory's)."""
    root = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in request.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root:
            return plugin
    raise LookupError(root)


@pytest.fixture(scope="module")
def sandbox(request):
    """A sandbox of this module's own, built as conftest builds the session's: test_collector's
    module-scoped wiring (an SES configuration set and identity, never torn down) is created again
    here, and would collide with test_collector.py's own in a shared sandbox."""
    made = _root_conftest(request).sandbox.__wrapped__()
    yield next(made)
    next(made, None)


@pytest.fixture(scope="module")
def aws(sandbox, request):
    return _root_conftest(request).make_clients(sandbox.info.endpoint_url, sandbox.info.region)


@pytest.fixture
def store(pg_url):
    with PostgresStore(pg_url) as s:
        yield s


globals().update(pg_server=pg_helpers.pg_server, pg_url=pg_helpers.pg_url)  # the PostgreSQL fixtures

# Their helper fixtures, by name, as their modules define them.
for _mod in (test_collector, test_policies):
    for _name, _obj in vars(_mod).items():
        if hasattr(_obj, "_fixture_function_marker") or type(_obj).__name__ == "FixtureFunctionDefinition":
            if _name != "store":
                globals().setdefault(_name, _obj)

globals().update(REUSED)

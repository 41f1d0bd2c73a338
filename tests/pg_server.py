"""A throwaway PostgreSQL server for the tests: one per test session (per xdist worker).

It listens on a unix socket in a private temporary directory only (no TCP port to collide with
another worker or a system server). PostgreSQL refuses to run as root, so when the tests run as
root the data directory is handed to the `postgres` system account (created by the Debian/Ubuntu
`postgresql` package) and the server is started as that user through `subprocess`'s `user=`
(a plain setuid in the child: no PAM, no login shell, unlike `su`). Not root: it runs as ourselves.

Authentication (pg_hba.conf): the superuser `postgres` connects without a password over the
socket; every other role must give its password (scram-sha-256), so a wrong password is a real
server refusal.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"


class ServerUnavailable(RuntimeError):
    """No PostgreSQL binaries (or no account to run them as): says what to install."""


def find_bindir() -> Path:
    """$SESTUI_PG_BINDIR, else the directory of an `initdb` on PATH, else /usr/lib/postgresql/N/bin."""
    if os.environ.get("SESTUI_PG_BINDIR"):
        return Path(os.environ["SESTUI_PG_BINDIR"])
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    raise ServerUnavailable("no PostgreSQL server binaries (initdb): install them, e.g. "
                            "`apt-get install -y postgresql`, or set SESTUI_PG_BINDIR")


class PgServer:
    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise ServerUnavailable("running as root and there is no `postgres` account to run the "
                                        "test server as (the postgresql package creates it)") from None
            self.user = SUPERUSER
        # Under /tmp when the server runs as another user: $TMPDIR may sit below a 0700 home it
        # cannot traverse (and a short path keeps the socket's name under its 107-byte limit).
        self.root = Path(tempfile.mkdtemp(prefix="sestui-pg-", dir="/tmp" if self.user else None))
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.proc: subprocess.Popen | None = None

    # `postgres` must be able to reach its directories; tmp_path's parents are root's 0700.
    def _own(self, path: Path) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], user=self.user, cwd=self.root,
                              capture_output=True, text=True, check=False, **kw)

    def start(self) -> "PgServer":
        os.chmod(self.root, 0o700)
        self._own(self.root)
        self.sockdir.mkdir(mode=0o700)
        self._own(self.sockdir)
        done = self._run("initdb", "-D", str(self.datadir), "-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8",
                         "--auth=trust", "--no-sync")
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()}")
        hba = self.datadir / "pg_hba.conf"
        hba.write_text(f"local all {SUPERUSER} trust\nlocal all all scram-sha-256\n")
        self._own(hba)
        return self.resume()

    def resume(self) -> "PgServer":
        """Start the server on its existing data directory (after `pause`), once it is ready."""
        self.proc = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(self.datadir), "-k", str(self.sockdir),
             "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off", "-c", "max_connections=100", "-c", "shared_buffers=64MB"],
            user=self.user, cwd=self.root, stdout=subprocess.DEVNULL, stderr=open(self.root / "server.log", "w"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.root / 'server.log').read_text()[-2000:]}")
            if self._run("pg_isready", "-h", str(self.sockdir), "-U", SUPERUSER, "-q").returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready in 30 s")

    def url(self, dbname: str = "postgres", user: str = SUPERUSER, password: str | None = None) -> str:
        """A libpq URL to the socket (the socket directory as the `host` query parameter)."""
        from urllib.parse import quote

        auth = f"{quote(user)}:{quote(password, safe='')}@" if password is not None else f"{quote(user)}@"
        return f"postgresql://{auth}/{dbname}?host={self.sockdir}"

    def admin(self):
        import psycopg

        return psycopg.connect(self.url(), autocommit=True)

    def pause(self) -> None:
        """Shut the server down, keeping its data: `resume` starts it again (a server restart)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnects clients left behind
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self) -> None:
        self.pause()
        shutil.rmtree(self.root, ignore_errors=True)


# --- pytest fixtures: import them into a test module (`from pg_server import pg_server, pg_url`) ---

import itertools  # noqa: E402

import pytest  # noqa: E402

TEMPLATE = "sestui_template"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server():
    """The session's server, with a template database already holding the sestui schema. Without
    PostgreSQL binaries the PG tests skip on a developer machine but FAIL under CI (CI=true) or with
    SESTUI_REQUIRE_PG=1: CI must never go green without having run them."""
    required = os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("SESTUI_REQUIRE_PG") == "1"
    try:
        server = PgServer().start()
    except (ServerUnavailable, RuntimeError, OSError) as exc:
        if required:
            pytest.fail(f"PostgreSQL tests must run here but no server could be started: {exc}", pytrace=False)
        pytest.skip(f"no PostgreSQL server: {exc}")
    try:
        with server.admin() as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        from sestui.store.postgres import PostgresStore

        PostgresStore(server.url(TEMPLATE)).close()
        yield server
    finally:
        server.stop()


def _database(server: PgServer, template: str):
    name = f"t{os.getpid()}_{next(_numbers)}"
    with server.admin() as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


def _drop(server: PgServer, name: str) -> None:
    with server.admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server):
    """The URL of a fresh database holding an empty sestui schema (copied from the template)."""
    name = _database(pg_server, TEMPLATE)
    yield pg_server.url(name)
    _drop(pg_server, name)


@pytest.fixture
def pg_empty_url(pg_server):
    """The URL of a fresh database with no sestui schema at all."""
    name = _database(pg_server, "template1")
    yield pg_server.url(name)
    _drop(pg_server, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request, tmp_path) -> str:
    """Each backend in turn: an SQLite file, then a fresh PostgreSQL database (its URL)."""
    return str(tmp_path / "events.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.fixture(name="store")
def store_on_each_backend(target):
    """The `store` fixture on each backend in turn: a module that imports it (with `target`) runs
    its tests on SQLite, then on PostgreSQL, in place of tests/conftest.py's SQLite store."""
    from sestui.store import open_store

    with open_store(target) as s:
        yield s

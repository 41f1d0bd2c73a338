"""The PostgreSQL store against a real throwaway server: schema versioning, concurrency between
processes, partitioned retention, LISTEN/NOTIFY, and one-line errors an operator can act on."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fixtures import JUNK, record, sns_envelope
from sestui.store.postgres import schema as pgschema
from sestui.core.events import parse_body
from sestui.store.postgres import PostgresStore
from sestui.store import AddResult, Store, StoreError, open_store
from sestui.ops.watch import wait_for_new_events
from test_store import add, event_keys, ms, synthetic_delivery

REPO = Path(__file__).resolve().parents[2]
DAY = 86_400_000


@pytest.fixture
def pg(pg_url):
    with PostgresStore(pg_url) as s:
        yield s


def admin(pg_server, dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(pg_server.url(dbname), autocommit=True)


# --- opening: the --db value, schema versions -----------------------------------------------------


def test_open_store_picks_the_backend_from_the_target(tmp_path, pg_url):
    for target in (tmp_path / "a.db", str(tmp_path / "b.db"), f"sqlite:{tmp_path / 'c.db'}"):
        with open_store(target) as s:
            assert isinstance(s, Store)
    assert (tmp_path / "c.db").exists()
    for url in (pg_url, pg_url.replace("postgresql://", "postgres://", 1)):
        with open_store(url) as s:
            assert isinstance(s, PostgresStore) and s.schema_version == len(pgschema.MIGRATIONS)


def test_a_new_database_is_migrated_and_reopening_keeps_data_and_version(pg_empty_url):
    with PostgresStore(pg_empty_url) as s:
        assert s.schema_version == len(pgschema.MIGRATIONS) >= 1
        add(s, sns_envelope(record("event-send")))
    with PostgresStore(pg_empty_url) as s:
        assert s.schema_version == len(pgschema.MIGRATIONS) and s.count("events") == 1


@pytest.mark.parametrize("readonly", [False, True])
def test_newer_schema_is_refused_with_a_clear_error(pg_server, pg_url, readonly):
    dbname = pg_url.split("/")[3].split("?")[0]
    with admin(pg_server, dbname) as conn:
        conn.execute("UPDATE sestui_schema SET version = %s", (len(pgschema.MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match=r"schema version \d+, newer .*upgrade sestui"):
        PostgresStore(pg_url, readonly=readonly)


def test_readonly_open_refuses_a_database_without_the_schema_and_refuses_writes(pg_empty_url, pg_url):
    with pytest.raises(StoreError, match="not a sestui database"):
        PostgresStore(pg_empty_url, readonly=True)
    with PostgresStore(pg_url) as rw:
        add(rw, sns_envelope(record("event-send")))
    with PostgresStore(pg_url, readonly=True) as ro:
        assert ro.count("events") == 1
        with pytest.raises(Exception, match="read-only transaction"):
            add(ro, sns_envelope(record("event-bounce")))
        assert ro.count("events") == 1


def test_a_database_holding_someone_elses_events_table_is_refused(pg_empty_url):
    import psycopg

    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE events (x int)")
    with pytest.raises(StoreError, match="not sestui's"):
        PostgresStore(pg_empty_url)


# --- both write paths, same result ----------------------------------------------------------------


def _table(store: PostgresStore, table: str, order: str) -> list[tuple]:
    with store._conn() as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()


def test_copy_and_pipeline_writes_leave_identical_tables(pg_server):
    bodies = [synthetic_delivery(i, recipient=f"u{i % 5}@example.com") for i in range(30)]
    bodies += [sns_envelope(record(n)) for n in ("event-send", "event-bounce", "event-delivery", "event-open")]
    bodies += [bodies[3], "not json \x00 with a NUL"]  # a duplicate; text PostgreSQL cannot hold as is
    tables = {}
    for mode in ("copy", "pipeline"):
        with admin(pg_server) as conn:
            conn.execute(f"CREATE DATABASE eq_{mode} TEMPLATE sestui_template")
        with PostgresStore(pg_server.url(f"eq_{mode}"), write_mode=mode) as s:
            assert s.add([(b, parse_body(b)) for b in bodies[:20]], received_ms=1) == AddResult(20, 0, 0)
            assert s.add([(b, parse_body(b)) for b in bodies[20:]], received_ms=2) == AddResult(14, 1, 1)
            tables[mode] = {t: _table(s, t, o) for t, o in (
                ("events", "id"), ("records", "id"), ("messages", "message_id"),
                ("message_recipients", "message_id, recipient"), ("quarantine", "id"))}
    assert tables["copy"] == tables["pipeline"]
    assert tables["copy"]["quarantine"][0][3] == "not json \ufffd with a NUL"



def test_a_first_batch_that_fails_and_is_retried_finds_its_staging_tables_again(pg_url):
    # The COPY staging tables are made in the first write's transaction; a NUL fails that one (it
    # rolls back, taking them along) and the cleaned retry on the same connection must make them again.
    bodies = [synthetic_delivery(i) for i in range(3)] + ["not json \x00 with a NUL"]
    with PostgresStore(pg_url, pool_size=1) as s:
        assert s.add([(b, parse_body(b)) for b in bodies]) == AddResult(3, 0, 1)
        assert s.add([(b, parse_body(b)) for b in bodies[:2]]) == AddResult(0, 2, 0)
        assert s.count("events") == 3 and s.quarantined()[0]["body"] == "not json \ufffd with a NUL"


# --- concurrency ----------------------------------------------------------------------------------

_WRITER = """
import sys
sys.path.insert(0, sys.argv[3])
from fixtures import record, raw_delivery
from sestui.core.events import parse_body
from sestui.store.postgres import PostgresStore

start = int(sys.argv[2])
with PostgresStore(sys.argv[1], write_mode=sys.argv[4]) as store:
    for batch in range(40):
        bodies = []
        for i in range(start + batch * 10, start + batch * 10 + 10):
            rec = record("minimal-delivery")
            rec["mail"].update(messageId=f"m-{i}", destination=[f"u{i}@example.com"])
            rec["delivery"]["recipients"] = [f"u{i}@example.com"]
            bodies.append(raw_delivery(rec))
        result = store.add([(b, parse_body(b)) for b in bodies])
    print("ok")
"""


@pytest.mark.parametrize("mode", ["pipeline", "copy"])
def test_two_processes_storing_overlapping_batches_store_each_event_once(pg_url, mode):
    # writer 1 stores m-0 .. m-399, writer 2 m-200 .. m-599: 200 events both try to store
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, pg_url, str(start), str(REPO / "tests"), mode],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for start in (0, 200)]
    outcomes = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [(rc, out, err) for out, err, rc in outcomes] == [(0, "ok\n", ""), (0, "ok\n", "")]
    with PostgresStore(pg_url) as s:
        keys = event_keys(s)
        assert len(keys) == len(set(keys)) == 600
        assert s.count("messages") == 600 and s.count("records") == 600
        ids = [r["id"] for r in s.flow_page(limit=1000)]
        assert len(set(ids)) == 600


def test_two_processes_creating_the_schema_in_one_new_database_both_succeed(pg_empty_url):
    code = "import sys; from sestui.store.postgres import PostgresStore; PostgresStore(sys.argv[1]).close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, pg_empty_url], stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    assert [(p.wait(timeout=60), p.stderr.read()) for p in procs] == [(0, "")] * 3
    with PostgresStore(pg_empty_url) as s:
        assert s.schema_version == len(pgschema.MIGRATIONS)


def test_threads_sharing_one_store_lose_nothing(pg):
    errors = []

    def writer(prefix):
        try:
            for batch in range(20):
                add(pg, *(synthetic_delivery(batch * 10 + i, prefix=prefix) for i in range(10)))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p,)) for p in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and pg.count("events") == 600


# --- retention by partition -----------------------------------------------------------------------


def _partitions(store: PostgresStore) -> dict[str, tuple[int, int]]:
    with store._conn() as conn:
        return store._partition_list(conn)


def _spread(store) -> None:
    """One delivery a day from 2024-05-01 to 2024-06-09 (six week partitions)."""
    for day in range(40):
        when = ms(2024, 5, 1, 12, 0, 0) + day * DAY
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when / 1000))
        add(store, synthetic_delivery(day, ts=stamp))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_prune_gives_the_same_counts_and_leaves_the_same_events_on_both_backends(backend, tmp_path, pg_url):
    store = Store(tmp_path / "e.db") if backend == "sqlite" else PostgresStore(pg_url)
    with store:
        _spread(store)
        cut = ms(2024, 5, 22, 0, 0, 0)  # a Wednesday: inside the week of 2024-05-20
        removed = store.prune(cut)
        assert removed == {"events": 21, "records": 21, "quarantine": 0, "messages": 21}
        left = [r["ts"] for r in store.iter_events()]
        assert len(left) == 19 and min(left) >= cut


def test_prune_drops_whole_partitions_and_deletes_rows_only_in_the_cut_one(pg):
    _spread(pg)
    before = _partitions(pg)
    assert sorted(lo for lo, _ in before.values())[0] == ms(2024, 4, 29, 0, 0, 0)  # weeks start on Monday
    assert len(before) == 6
    pg.prune(ms(2024, 5, 22, 0, 0, 0))
    after = _partitions(pg)
    assert sorted(after) == sorted(n for n, (lo, hi) in before.items() if hi > ms(2024, 5, 22, 0, 0, 0))
    assert len(after) == 3
    # storing into a dropped week again recreates its partition
    assert add(pg, synthetic_delivery(999, ts="2024-05-02T00:00:00Z")) == AddResult(1, 0, 0)
    assert len(_partitions(pg)) == 4


def test_a_store_that_cached_a_partition_another_process_dropped_still_writes(pg_url):
    with PostgresStore(pg_url) as a, PostgresStore(pg_url) as b:
        add(a, synthetic_delivery(1, ts="2024-05-02T00:00:00Z"))
        b.prune(ms(2024, 6, 1, 0, 0, 0))  # drops the partition `a` believes exists
        assert add(a, synthetic_delivery(2, ts="2024-05-02T00:00:01Z")) == AddResult(1, 0, 0)


# --- LISTEN/NOTIFY --------------------------------------------------------------------------------


def test_wait_for_events_wakes_when_another_store_commits_events(pg_url):
    with PostgresStore(pg_url) as console, PostgresStore(pg_url) as collector:
        console.listen()
        assert console.wait_for_events(0.2) is False
        timer = threading.Timer(0.3, lambda: add(collector, sns_envelope(record("event-send"))))
        started = time.monotonic()
        timer.start()
        assert console.wait_for_events(10) is True
        assert time.monotonic() - started < 5
        timer.join()
        assert [r["event_type"] for r in console.flow_page(after_id=0)] == ["send"]
        add(collector, sns_envelope(record("event-send")))  # only a duplicate: nothing new, no wake-up
        add(collector, JUNK[0][1])  # only quarantined: no new event either
        assert console.wait_for_events(0.3) is False


def test_several_commits_before_a_wait_wake_it_once(pg_url):
    with PostgresStore(pg_url) as console, PostgresStore(pg_url) as collector:
        console.listen()
        for i in range(3):
            add(collector, synthetic_delivery(i))
        assert console.wait_for_events(5) is True
        assert console.wait_for_events(0.2) is False


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_wait_for_new_events_notifies_on_postgresql_and_polls_on_sqlite(backend, tmp_path, pg_url):
    open_ = (lambda: Store(tmp_path / "e.db")) if backend == "sqlite" else (lambda: PostgresStore(pg_url))
    with open_() as reader, open_() as writer:
        add(writer, synthetic_delivery(1))
        last = reader.flow_page(limit=1)[0]["id"]
        if backend == "postgresql":
            reader.listen()
        assert wait_for_new_events(reader, after_id=last, timeout=0.3, poll_s=0.05) is False
        threading.Timer(0.2, lambda: add(writer, synthetic_delivery(2))).start()
        assert wait_for_new_events(reader, after_id=last, timeout=10, poll_s=0.05) is True
        assert [r["message_id"] for r in reader.flow_page(after_id=last)] == ["m-000002"]


# --- errors an operator can act on ----------------------------------------------------------------


def _one_line(exc: StoreError) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


@pytest.fixture
def alice(pg_server, pg_empty_url):
    """A login role with a password, allowed to connect to the empty database and nothing else."""
    dbname = pg_empty_url.split("/")[3].split("?")[0]
    with admin(pg_server) as conn:
        conn.execute("DROP ROLE IF EXISTS alice")
        conn.execute("CREATE ROLE alice LOGIN PASSWORD 'right horse'")
    yield dbname
    with admin(pg_server) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        conn.execute("DROP ROLE alice")


def test_wrong_password_says_so(pg_server, alice):
    with pytest.raises(StoreError) as caught:
        PostgresStore(pg_server.url(alice, "alice", "wrong horse"))
    text = _one_line(caught.value)
    assert "wrong password for user alice" in text and "wrong horse" not in text


def test_missing_database_says_which_and_how_to_create_it(pg_server):
    with pytest.raises(StoreError) as caught:
        PostgresStore(pg_server.url("no_such_db"))
    assert "database no_such_db does not exist: create it (createdb no_such_db)" in _one_line(caught.value)


def test_no_permission_to_create_tables_names_the_grant_that_fixes_it(pg_server, alice):
    url = pg_server.url(alice, "alice", "right horse")
    with pytest.raises(StoreError) as caught:
        PostgresStore(url)
    text = _one_line(caught.value)
    assert "role alice may not create tables in schema public" in text
    grant = text.split("to run ", 1)[1]
    assert grant == "GRANT USAGE, CREATE ON SCHEMA public TO alice"
    with admin(pg_server, alice) as conn:  # the GRANT the message names is the one that is needed
        conn.execute(grant)
    with PostgresStore(url) as s:
        assert s.schema_version == len(pgschema.MIGRATIONS)
    assert grant.replace("alice", "sestui") in README.read_text()  # the README asks for the same


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readmes_team_grants_let_the_owner_create_and_an_operator_read_and_edit(pg_server, pg_empty_url):
    text = README.read_text()
    sql = text.split("The minimum grants", 1)[1].split("```sql\n", 1)[1].split("```", 1)[0]
    names = {"sestui": "readme_owner", "alice": "readme_alice"}  # roles are server-wide: names of our own
    for word, name in names.items():
        sql = sql.replace(f" {word} ", f" {name} ").replace(f" {word};", f" {name};")
    sql = sql.replace("'...'", "'pw'")
    dbname = pg_empty_url.split("/")[3].split("?")[0]
    with admin(pg_server, dbname) as conn:
        for name in names.values():
            conn.execute(f"DROP ROLE IF EXISTS {name}")
        for statement in (line.split("--")[0].strip() for line in sql.splitlines()):
            if statement:
                conn.execute(statement)
    try:
        with PostgresStore(pg_server.url(dbname, "readme_owner", "pw")) as owner:  # creates the tables
            assert owner.schema_version == len(pgschema.MIGRATIONS)
        with admin(pg_server, dbname) as conn:  # an operator not (yet) a member is told the GRANT
            conn.execute("REVOKE readme_owner FROM readme_alice")
        with pytest.raises(StoreError) as caught:
            PostgresStore(pg_server.url(dbname, "readme_alice", "pw"))
        grant = _one_line(caught.value).split("to run ", 1)[1]
        assert grant == "GRANT readme_owner TO readme_alice"
        assert "run GRANT sestui TO alice" in " ".join(text.split())  # as the README says
        with admin(pg_server, dbname) as conn:
            conn.execute(grant)
        with PostgresStore(pg_server.url(dbname, "readme_alice", "pw")) as operator:
            body = synthetic_delivery(1)
            assert operator.add([(body, parse_body(body))]).stored == 1
            operator.add_audit(action="add", origin="console", outcome="ok", email="x@example.com")
            operator.cache_suppression("x@example.com", "BOUNCE", 1, 2)
            assert [r["email"] for r in operator.audit()] == ["x@example.com"]
    finally:
        with admin(pg_server) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            for name in names.values():
                conn.execute(f"DROP ROLE IF EXISTS {name}")


def test_unreachable_server_says_so(pg_server, tmp_path):
    with socket.socket() as sock:  # a port on 127.0.0.1 that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for url in (f"postgresql://sestui@127.0.0.1:{port}/events", f"postgresql://sestui@/events?host={tmp_path}"):
        with pytest.raises(StoreError) as caught:
            PostgresStore(url)
        text = _one_line(caught.value)
        assert "cannot reach the PostgreSQL server" in text and "is it running" in text


def test_a_listener_whose_connection_was_cut_says_look_again_and_listens_anew(pg_server, pg_url):
    with PostgresStore(pg_url) as console, PostgresStore(pg_url) as collector:
        console.listen()
        pid = console._listener.info.backend_pid
        with admin(pg_server) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert console.wait_for_events(5) is True  # notifications may have been lost: look again
        console.listen()
        assert console._listener.info.backend_pid != pid
        add(collector, synthetic_delivery(1))
        assert console.wait_for_events(5) is True
        assert console.wait_for_events(0.2) is False


# --- which database collector rows are of ----------------------------------------------------------


def test_every_role_reading_a_database_sees_the_feed_its_collectors_report(pg_server, pg_url):
    """A team's collector service connects as one role, each operator's console as another: the
    header keeps the feed of this database, so the two must name it alike (their URLs differ)."""
    from sestui.core.health import feed_state

    dbname = pg_url.split("/")[3].split("?")[0]
    with admin(pg_server) as conn:
        conn.execute("DROP ROLE IF EXISTS bob")
        conn.execute("CREATE ROLE bob LOGIN SUPERUSER PASSWORD 'bobs horse'")
    try:
        with PostgresStore(pg_url) as service, PostgresStore(pg_server.url(dbname, "bob", "bobs horse")) as console:
            assert service.path != console.path and service.identity == console.identity
            now = int(time.time() * 1000)
            service.save_collector_state("c1", {"queue_url": "q", "state": "running", "started": now - 5000,
                                                "heartbeat": now, "last_success": now, "events_per_s": 0.0, "received": 0,
                                                "stored": 0, "duplicates": 0, "quarantined": 0,
                                                "db_path": service.identity})
            assert feed_state(console.collector_states(), now, queue_url="q", db_path=console.identity).state == "live"
            identity = service.identity
        with admin(pg_server) as conn:  # a copy made from it is another database, its rows another's
            conn.execute(f"CREATE DATABASE {dbname}_copy TEMPLATE {dbname}")
        try:
            with PostgresStore(pg_server.url(f"{dbname}_copy")) as copy:
                assert copy.identity != identity
                assert feed_state(copy.collector_states(), now, queue_url="q", db_path=copy.identity).state != "live"
        finally:
            with admin(pg_server) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {dbname}_copy WITH (FORCE)")
    finally:
        with admin(pg_server) as conn:
            conn.execute("DROP ROLE bob")



def test_no_free_connection_while_the_server_answers_names_both_causes(pg_url):
    """After a server restart the pool re-makes its connections in a backoff while the server
    already answers: "overloaded?" alone misled the operator then."""
    with PostgresStore(pg_url, pool_size=1) as store, store.pool.connection():
        said = str(store._why_no_connection())
        assert said.endswith("no free database connection within 10 s, though the server answers: all in use,"
                             " or still reconnecting after a restart"), said

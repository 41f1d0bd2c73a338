"""`sestui ingest` of the three file shapes, then `sestui export`: the command-line round trip."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from fixtures import JUNK, raw_delivery, record, sns_envelope

from sestui.cli import main

M_RECEIPT = "0100018f7a3c5e21-4d2b9c6e-8f1a-4b7d-9e3c-2a5f6b8c1d4e-000000"
M_NEWSLETTER = "0100018f7a3d1177-b6a2c4e8-1f3d-4a5b-8c7e-9d0f1a2b3c4d-000000"
M_HELLO = "0100018f8051a0aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000"
M_MINIMAL = "0100018f84bb0f0f-12121212-3434-5656-7878-909090909090-000000"
_JUNK = {name: body for name, body, _ in JUNK}

# What a queue holds: every envelope style, an SQS redelivery, the same bounce through both an
# identity notification and a configuration set, and SNS/SES housekeeping messages.
BODIES = [
    sns_envelope(record("event-send")),
    raw_delivery(record("event-delivery")),
    sns_envelope(record("event-click"), message_as_object=True),
    sns_envelope(record("event-bounce")),
    sns_envelope(record("notification-bounce")),
    raw_delivery(record("minimal-delivery")),
    sns_envelope(record("event-send")),  # redelivered by SQS
    raw_delivery(record("notification-bounce-same-as-event")),  # same bounce, identity notification
    _JUNK["sns-subscription-confirmation"],
    _JUNK["ses-identity-test-notification"],
]
SUMMARY = "stored=7 duplicates=2 quarantined=2"

RECEIPT = {"subject": "Your receipt #1042", "source": "Billing <billing@shop.example.com>",
           "configuration_set": "sestui-events"}
HELLO_BOUNCE = {"message_id": M_HELLO, "event_type": "bounce", "timestamp": "2024-05-16T08:59:38.237Z",
                "bounce_type": "Permanent", "bounce_subtype": "General", "subject": "Hello",
                "source": "john@shop.example.com"}
EXPECTED_ROWS = [
    {"message_id": M_RECEIPT, "event_type": "send", "recipient": "ana@example.org",
     "timestamp": "2024-05-14T09:30:00.120Z", **RECEIPT},
    {"message_id": M_RECEIPT, "event_type": "delivery", "recipient": "ana@example.org",
     "timestamp": "2024-05-14T09:30:01.845Z", **RECEIPT},
    {"message_id": M_RECEIPT, "event_type": "click", "recipient": "ana@example.org",
     "timestamp": "2024-05-14T10:02:31.250Z", "link": "https://shop.example.com/orders/1042?utm_source=receipt",
     "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "ip_address": "203.0.113.7", **RECEIPT},
    {"message_id": M_NEWSLETTER, "event_type": "bounce", "recipient": "gone@example.net",
     "timestamp": "2024-05-14T11:15:42.669Z", "bounce_type": "Permanent", "bounce_subtype": "General",
     "diagnostic_code": "smtp; 550 5.1.1 user unknown", "subject": "May newsletter",
     "source": "News <news@shop.example.com>", "configuration_set": "sestui-events", "bounce_class": "no_such_user"},
    {**HELLO_BOUNCE, "recipient": "jane@example.com",
     "diagnostic_code": "smtp; 550 5.1.1 <jane@example.com>... User unknown", "bounce_class": "no_such_user"},
    {**HELLO_BOUNCE, "recipient": "richard@example.com", "diagnostic_code": "smtp; 552 5.2.2 Mailbox full",
     "bounce_class": "mailbox_full"},
    {"message_id": M_MINIMAL, "event_type": "delivery", "recipient": "ida@example.com",
     "timestamp": "2024-05-17T06:10:02.000Z"},
]
EXPORT_HEADER = ["message_id", "event_type", "recipient", "timestamp", "bounce_type", "bounce_subtype",
                 "diagnostic_code", "complaint_feedback_type", "delay_type", "link", "user_agent", "ip_address",
                 "reject_reason", "error_message", "subject", "source", "configuration_set", "complaint_sub_type",
                 "bounce_class"]


@pytest.fixture(autouse=True)
def isolated_environment(isolated_environment, monkeypatch, tmp_path):
    """The shared isolation without its database setting, and with no config file and XDG folders in
    tmp_path: these tests see the defaults (subprocesses inherit this environment)."""
    monkeypatch.delenv("SESTUI_DB")
    monkeypatch.setenv("SESTUI_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


# --- the three file shapes ----------------------------------------------------------------------


def _receive_message_output(bodies: list[str]) -> dict:
    return {"Messages": [
        {"MessageId": f"5f0c1d2e-0000-4000-8000-{i:012d}", "ReceiptHandle": f"AQEB{i:04d}EXAMPLE==",
         "MD5OfBody": "00000000000000000000000000000000", "Body": body}
        for i, body in enumerate(bodies)
    ]}


def _one_line(body: str) -> str:
    """A JSON body re-encoded on one line (as `jq -c` writes it), for JSON Lines."""
    return json.dumps(json.loads(body), ensure_ascii=False)


SHAPES = {
    "jsonl": lambda bodies: "".join(_one_line(b) + "\n" for b in bodies),
    "jsonl-crlf-blank-lines": lambda bodies: "\r\n\r\n".join(map(_one_line, bodies)) + "\r\n",
    "array-of-objects": lambda bodies: json.dumps([json.loads(b) for b in bodies], indent=2, ensure_ascii=False),
    "array-of-strings": lambda bodies: json.dumps(bodies, indent=1),
    "receive-message-pretty": lambda bodies: json.dumps(_receive_message_output(bodies), indent=4),
    "receive-message-one-line": lambda bodies: json.dumps(_receive_message_output(bodies)) + "\n",
    # `aws sqs receive-message` run in a loop, its one-line outputs appended: JSON Lines of outputs.
    "receive-message-per-line": lambda bodies: "".join(
        json.dumps(_receive_message_output(bodies[i:i + 4])) + "\n" for i in range(0, len(bodies), 4)),
}


def run(capsys, *argv) -> tuple[int, str, str]:
    """`sestui ARGV` in this process."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def ingest(capsys, db, *paths) -> str:
    code, out, err = run(capsys, "ingest", "--db", db, *paths)
    assert (code, err) == (0, "")
    return out.splitlines()[-1]


def export_jsonl(capsys, db, *filters) -> list[dict]:
    code, out, err = run(capsys, "export", "--db", db, "--format", "jsonl", *filters)
    assert (code, err) == (0, "")
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("shape", SHAPES)
def test_ingest_then_export_round_trip(capsys, tmp_path, shape):
    path = tmp_path / f"bodies.{shape}"
    path.write_text(SHAPES[shape](BODIES), encoding="utf-8")
    db = tmp_path / "events.db"
    assert ingest(capsys, db, path) == SUMMARY
    assert export_jsonl(capsys, db) == EXPECTED_ROWS


def test_ingest_again_stores_nothing_new(capsys, tmp_path):
    path = tmp_path / "bodies.jsonl"
    path.write_text(SHAPES["jsonl"](BODIES))
    db = tmp_path / "events.db"
    ingest(capsys, db, path)
    assert ingest(capsys, db, path) == "stored=0 duplicates=9 quarantined=2"
    assert export_jsonl(capsys, db) == EXPECTED_ROWS


def test_ingest_of_several_files_adds_up(capsys, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.json"
    first.write_text(SHAPES["jsonl"](BODIES[:5]))
    second.write_text(SHAPES["array-of-strings"](BODIES[5:]))
    db = tmp_path / "events.db"
    assert ingest(capsys, db, first, second) == SUMMARY
    assert export_jsonl(capsys, db) == EXPECTED_ROWS


def test_ingest_quarantines_bad_lines_and_keeps_going(capsys, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"not json at all\n" + _one_line(BODIES[0]).encode() + b"\n\xff\xfe broken bytes\n"
                     + b"[" * 5000 + b"\n" + _one_line(BODIES[5]).encode() + b"\n")
    db = tmp_path / "events.db"
    assert ingest(capsys, db, path) == "stored=2 duplicates=0 quarantined=3"
    assert [r["recipient"] for r in export_jsonl(capsys, db)] == ["ana@example.org", "ida@example.com"]


def test_file_holding_one_pretty_printed_sns_body(capsys, tmp_path):
    path = tmp_path / "one-body.json"
    path.write_text(BODIES[3])  # as SNS lays it out, over many lines
    db = tmp_path / "events.db"
    assert ingest(capsys, db, path) == "stored=1 duplicates=0 quarantined=0"
    assert export_jsonl(capsys, db) == [EXPECTED_ROWS[3]]


def test_empty_file_stores_nothing(capsys, tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    assert ingest(capsys, tmp_path / "events.db", tmp_path / "empty.jsonl") == "stored=0 duplicates=0 quarantined=0"


# --- export formats and filters -----------------------------------------------------------------


@pytest.fixture
def loaded_db(capsys, tmp_path):
    path = tmp_path / "bodies.jsonl"
    path.write_text(SHAPES["jsonl"](BODIES))
    db = tmp_path / "events.db"
    ingest(capsys, db, path)
    return db


def test_export_csv_has_every_key_and_the_same_rows(capsys, loaded_db):
    code, out, err = run(capsys, "export", "--db", loaded_db, "--format", "csv")
    assert (code, err) == (0, "")
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == EXPORT_HEADER
    assert list(reader) == [{k: row.get(k, "") for k in EXPORT_HEADER} for row in EXPECTED_ROWS]


def test_export_csv_quotes_hostile_strings(capsys, tmp_path):
    path = tmp_path / "hostile.jsonl"
    rec = record("hostile-bounce")
    rec["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = 'line one\nline "two", with comma\x1b[31m'
    path.write_text(_one_line(sns_envelope(rec)) + "\n")
    ingest(capsys, tmp_path / "events.db", path)
    _code, out, _ = run(capsys, "export", "--db", tmp_path / "events.db", "--format", "csv")
    (row,) = csv.DictReader(io.StringIO(out))
    # Quoting keeps the newline, quote and comma; the escape sequence arrives escaped (issue 11 item 6).
    assert row["diagnostic_code"] == 'line one\nline "two", with comma\\x1b[31m'
    assert row["subject"].startswith("[bold]x[/] \\x1b[31mred")


@pytest.mark.parametrize("filters, keep", [
    (["--type", "bounce"], lambda r: r["event_type"] == "bounce"),
    (["--type", "delivery"], lambda r: r["event_type"] == "delivery"),
    (["--message-id", M_RECEIPT], lambda r: r["message_id"] == M_RECEIPT),
    (["--recipient", "JANE@Example.com"], lambda r: r["recipient"] == "jane@example.com"),
    (["--since", "2024-05-14T09:30:01.845Z"], lambda r: r["timestamp"] >= "2024-05-14T09:30:01.845Z"),
    (["--until", "2024-05-14T10:02:31.250Z"], lambda r: r["timestamp"] < "2024-05-14T10:02:31.250Z"),
    (["--since", "2024-05-14T10:00:00Z", "--until", "2024-05-16T08:59:38.237Z"],
     lambda r: "2024-05-14T10:00:00.000Z" <= r["timestamp"] < "2024-05-16T08:59:38.237Z"),
    (["--since", "2024-05-16T10:59:38.237+02:00"], lambda r: r["timestamp"] >= "2024-05-16T08:59:38.237Z"),
    (["--type", "bounce", "--since", "2024-05-15"], lambda r: r["event_type"] == "bounce" and r["timestamp"] >= "2024-05-15"),
    (["--recipient", "nobody@example.com"], lambda r: False),
])
def test_export_filters(capsys, loaded_db, filters, keep):
    expected = [r for r in EXPECTED_ROWS if keep(r)]
    assert export_jsonl(capsys, loaded_db, *filters) == expected


def test_export_filtered_csv(capsys, loaded_db):
    _code, out, _ = run(capsys, "export", "--db", loaded_db, "--format", "csv", "--type", "bounce")
    assert [r["recipient"] for r in csv.DictReader(io.StringIO(out))] == [
        "gone@example.net", "jane@example.com", "richard@example.com"]


# --- where the database is ----------------------------------------------------------------------


def test_sestui_db_environment_variable_sets_the_database(capsys, tmp_path, monkeypatch):
    path = tmp_path / "bodies.jsonl"
    path.write_text(_one_line(BODIES[0]) + "\n")
    monkeypatch.setenv("SESTUI_DB", str(tmp_path / "from-env.db"))
    assert run(capsys, "ingest", path)[0] == 0
    assert (tmp_path / "from-env.db").exists()
    _code, out, _ = run(capsys, "export")
    assert [json.loads(line)["event_type"] for line in out.splitlines()] == ["send"]


@pytest.mark.parametrize("position", ["after-command", "before-command"])
def test_db_option_wins_over_the_environment(capsys, tmp_path, monkeypatch, position):
    path = tmp_path / "bodies.jsonl"
    path.write_text(_one_line(BODIES[0]) + "\n")
    monkeypatch.setenv("SESTUI_DB", str(tmp_path / "from-env.db"))
    flag = ["--db", tmp_path / "from-flag.db"]
    argv = ["ingest", *flag, path] if position == "after-command" else [*flag, "ingest", path]
    assert run(capsys, *argv)[0] == 0
    assert (tmp_path / "from-flag.db").exists() and not (tmp_path / "from-env.db").exists()
    assert len(export_jsonl(capsys, tmp_path / "from-flag.db")) == 1


# --- as a program: stdin, errors, --version, --help ---------------------------------------------


def sestui(*argv, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sestui.cli", *map(str, argv)], input=stdin, check=False,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sestui: error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_ingest_from_standard_input(tmp_path):
    proc = sestui("ingest", "--db", tmp_path / "events.db", "-", stdin=SHAPES["jsonl"](BODIES))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[-1] == SUMMARY


def test_ingest_of_a_missing_file_fails_cleanly(tmp_path):
    proc = sestui("ingest", "--db", tmp_path / "events.db", tmp_path / "absent.jsonl")
    assert_one_line_error(proc, "absent.jsonl", "no such file")
    assert not (tmp_path / "events.db").exists()  # checked before anything is created


def test_ingest_of_a_directory_fails_cleanly(tmp_path):
    assert_one_line_error(sestui("ingest", "--db", tmp_path / "events.db", tmp_path), "not a file")


def test_ingest_of_a_path_inside_a_regular_file_fails_cleanly(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    assert_one_line_error(sestui("ingest", "--db", tmp_path / "events.db", tmp_path / "file.txt" / "bodies.jsonl"),
                          "file.txt/bodies.jsonl")


def test_truncated_json_array_stores_what_came_before_and_fails_cleanly(tmp_path):
    path = tmp_path / "truncated.json"
    path.write_text("[\n" + BODIES[0] + ",\n" + BODIES[3] + ",\n" + BODIES[4][:120])
    proc = sestui("ingest", "--db", tmp_path / "events.db", path)
    assert_one_line_error(proc, "truncated.json", "JSON array")
    assert proc.stdout.splitlines()[-1] == "stored=2 duplicates=0 quarantined=0"


def test_unclosed_json_array_fails_cleanly(tmp_path):
    path = tmp_path / "unclosed.json"
    path.write_text("[\n" + BODIES[0] + "\n")
    proc = sestui("ingest", "--db", tmp_path / "events.db", path)
    assert_one_line_error(proc, "not closed")
    assert proc.stdout.splitlines()[-1] == "stored=1 duplicates=0 quarantined=0"


def test_database_in_an_impossible_place_fails_cleanly(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    path = tmp_path / "bodies.jsonl"
    path.write_text(_one_line(BODIES[0]) + "\n")
    assert_one_line_error(sestui("ingest", "--db", tmp_path / "file.txt" / "events.db", path), "cannot open database")


@pytest.mark.parametrize("content, fragment", [
    (None, "no database"),
    (b"definitely not an SQLite file " * 100, "not a usable sestui database"),
], ids=["missing", "not-sqlite"])
def test_export_from_a_missing_or_foreign_database_fails_cleanly(tmp_path, content, fragment):
    db = tmp_path / "events.db"
    if content is not None:
        db.write_bytes(content)
    assert_one_line_error(sestui("export", "--db", db), fragment)


def test_export_from_a_newer_schema_fails_cleanly(tmp_path):
    import sqlite3

    from sestui.store.sqlite import MIGRATIONS

    db = tmp_path / "events.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    assert_one_line_error(sestui("export", "--db", db), "newer", "upgrade sestui")
    assert_one_line_error(sestui("ingest", "--db", db, "-", stdin=""), "newer", "upgrade sestui")


def test_export_with_a_bad_time_fails_cleanly(tmp_path, capsys, loaded_db):
    proc = sestui("export", "--db", loaded_db, "--since", "last tuesday")
    assert_one_line_error(proc, "last tuesday")
    assert proc.returncode == 2


@pytest.mark.parametrize("since, until", [("1h", "2h"), ("2026-11-02", "2026-11-01"),
                                          ("2026-11-01T10:00:00Z", "2026-11-01T10:00:00Z")],
                         ids=["durations", "dates", "equal"])
def test_export_with_since_not_before_until_fails_cleanly(loaded_db, since, until):
    """An empty window is a typing mistake: say so, do not write an empty export."""
    proc = sestui("export", "--db", loaded_db, "--since", since, "--until", until)
    assert_one_line_error(proc, "--since", "--until", "not before")
    assert proc.returncode == 2
    assert proc.stdout == ""


def test_version():
    from sestui import __version__

    proc = sestui("--version")
    assert (proc.returncode, proc.stdout.strip()) == (0, f"sestui {__version__}")
    assert __version__.count(".") >= 1


@pytest.mark.parametrize("argv, words", [
    (["--help"], ["ingest", "export", "--db"]),
    (["ingest", "--help"], ["PATH", "JSON Lines", "--db"]),
    (["export", "--help"], ["--format", "--type", "--message-id", "--recipient", "--since", "--until"]),
])
def test_help(argv, words):
    proc = sestui(*argv)
    assert (proc.returncode, proc.stderr) == (0, "")
    for word in words:
        assert word in proc.stdout


def test_ingest_into_postgresql_starts_without_the_sqlite_store_or_rich(tmp_path, pg_url):
    """What `sestui ingest --db postgresql://...` imports off a terminal: not the SQLite store (and
    sqlite-utils, its migrations'), nor rich (nothing is drawn)."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code = ("import sys; from sestui.cli import main; status = main(['ingest', '--db', sys.argv[1], sys.argv[2]]);"
            " print(status, sorted(m for m in ('sqlite_utils', 'rich', 'sestui.store.sqlite') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, pg_url, str(empty)], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines() == ["stored=0 duplicates=0 quarantined=0", "0 []"]

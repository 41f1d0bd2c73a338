"""A full database (issue 11, item 3): say what happened, exit non-zero, print what was stored.

The disk fills through SQLite's own limit (`PRAGMA max_page_count`, as tests/store/test_file_safety.py
does): past it SQLite answers SQLITE_FULL exactly as on a full disk."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from sestui.cli import collect, main
from sestui.cli.common import Context
from sestui.store import AddResult, Store

SENT = datetime(2024, 5, 14, 9, 30, tzinfo=UTC)


def delivery(i: int) -> str:
    at = SENT + timedelta(seconds=i)
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    mail = {"timestamp": stamp, "messageId": f"0100018f7a3c5e21-{i:08x}-8f1a-4b7d-9e3c-2a5f6b8c1d4e-000000",
            "source": "shop@example.com", "destination": [f"user{i}@example.com"],
            "commonHeaders": {"subject": "x" * 2000}}
    record = {"eventType": "Delivery", "mail": mail,
              "delivery": {"timestamp": stamp, "recipients": [f"user{i}@example.com"], "smtpResponse": "250 OK"}}
    return json.dumps({"Type": "Notification", "Message": json.dumps(record), "Timestamp": stamp})


def test_ingest_into_a_full_database_says_so_and_prints_what_was_stored(tmp_path, capsys, monkeypatch):
    db = tmp_path / "events.db"
    Store(db).close()
    path = tmp_path / "bodies.jsonl"
    path.write_text("\n".join(delivery(i) for i in range(6000)) + "\n")  # three batches of 2000
    real_open = Context.open_store

    def open_small(self, *args, **kwargs):
        store = real_open(self, *args, **kwargs)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 10000}")  # room for one batch or so, not three
        return store

    monkeypatch.setattr(Context, "open_store", open_small)
    status = main(["ingest", str(path), "--db", str(db)])
    out, err = capsys.readouterr()
    assert status == 1
    with Store(db) as store:
        stored = store.count("events")
    assert 0 < stored < 6000 and stored % 2000 == 0  # whole batches, committed
    summary = f"stored={stored} duplicates=0 quarantined=0"
    assert out.strip().splitlines()[-1] == summary
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "rollback" not in err
    assert lines[0].startswith("sestui: error: database or disk is full: ")
    assert f"stored before it: {summary}" in lines[0] and "the rest was not stored" in lines[0]


class Stats:
    def __init__(self) -> None:
        self.totals = AddResult(stored=120, duplicates=3, quarantined=1)


class Collector:
    def __init__(self) -> None:
        self.paused: str | None = None
        self.stats = Stats()


def test_collect_says_once_when_it_cannot_store_what_it_stored_and_that_sqs_kept_the_rest(caplog):
    collector = Collector()
    caplog.set_level(logging.INFO, logger="sestui.collect")
    held = collect._report_holding(collector, None)
    assert held is None and caplog.records == []
    collector.paused = ("cannot store: database write failed: database or disk is full: /x/events.db: the last "
                        "write was not stored; receiving paused, holding 10 messages")
    held = collect._report_holding(collector, held)
    collector.paused = collector.paused.replace("holding 10", "holding 12")
    held = collect._report_holding(collector, held)  # still held: not said again
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    line = record.getMessage()
    assert "database or disk is full" in line and "stored before it: stored=120 duplicates=3 quarantined=1" in line
    assert "nothing that was not stored was deleted from SQS" in line
    collector.paused = None
    collect._report_holding(collector, held)
    assert caplog.records[-1].levelno == logging.INFO and "receiving again" in caplog.records[-1].getMessage()

"""The roll-ups' rules (core/rollup_rules.py) agree across their forms and backends: each SQL form on
SQLite and on PostgreSQL and the Python form PostgreSQL's write path counts with give the same
answer for odd inputs (no @, upper case, subdomains, empty tags); both stores roll the same odd
records up alike; and a message's tags follow one rule on both (its first record with tags)."""

from __future__ import annotations

import itertools
import json
import sqlite3

import psycopg
from fixtures import sns_envelope

from sestui.core.events import parse_body
from sestui.core.rollup_rules import COUNTED_SQL, address_domain, counted, domain_sql, tag_pairs
from sestui.store import Store
from sestui.store.postgres import PostgresStore
from test_pg_breakdown import DIMENSIONS

ADDRESSES = ["no-at-sign", "", "@", "a@", "a@B.Example", "a@sub.Mail.Example.COM", "a@b@Two.Ats",
             "u@ Spaced.example ", "Name <x@Odd.Example> ", "x@Trail.example>>", "<x@Angle.example>"]
NON_ASCII = ["Ünï@ÉCOLE.Fr"]  # SQLite's lower() and the Python form leave É; PostgreSQL's (C.UTF-8) would not
COMPLAINTS = [("complaint", None, None), ("complaint", "OnAccountSuppressionList", None),
              ("complaint", None, "Not-Spam"), ("complaint", None, "NOT-SPAM"), ("complaint", "", "abuse"),
              ("complaint", None, "not-spam "), ("delivery", None, "not-spam"), ("bounce", None, None)]
RECIPIENTS = ["a@b.example", "x@SIMULATOR.amazonses.com", "x@simulator.amazonses.com.example",
              "simulator.amazonses.com", "a@sub.simulator.amazonses.com", "@simulator.amazonses.com", ""]


def _sqlite(sql: str, *params: object) -> object:
    return sqlite3.connect(":memory:").execute(sql, params).fetchone()[0]


def test_an_addresss_domain_is_the_same_in_python_sqlite_and_postgresql(pg_url):
    with psycopg.connect(pg_url) as pg:
        for address, strip in itertools.product(ADDRESSES + NON_ASCII, ("", "> ")):
            python = address_domain(address, strip)
            assert _sqlite(f"SELECT {domain_sql('a.x', strip)} FROM (SELECT ? AS x) a", address) == python
            if address not in NON_ASCII:
                sql = f"SELECT {domain_sql('a.x', strip, find='strpos')} FROM (SELECT %s::text AS x) a"
                assert pg.execute(sql, (address,)).fetchone()[0] == python, (address, strip)
    assert address_domain("Name <x@Odd.Example> ", "> ") == "odd.example" and address_domain("no-at-sign") == ""
    assert address_domain("a@b@Two.Ats") == "b@two.ats" and address_domain("Ünï@ÉCOLE.Fr") == "École.fr"


def test_what_counts_is_the_same_in_python_sqlite_and_postgresql(pg_url):
    row = "(SELECT {p} AS event_type, {p} AS complaint_sub_type, {p} AS complaint_feedback_type, {p} AS recipient) e"
    with psycopg.connect(pg_url) as pg:
        for (event_type, sub_type, feedback), recipient in itertools.product(COMPLAINTS, RECIPIENTS):
            args = (event_type, sub_type, feedback, recipient)
            python = counted(*args)
            assert bool(_sqlite(f"SELECT {COUNTED_SQL} FROM {row.format(p='?')}", *args)) is python, args
            pg_row = row.format(p="%s::text")
            assert pg.execute(f"SELECT {COUNTED_SQL.replace('%', '%%')} FROM {pg_row}", args).fetchone()[0] is python
    assert not counted("delivery", None, None, "x@SIMULATOR.amazonses.com")
    assert counted("delivery", None, None, "x@simulator.amazonses.com.example")
    assert not counted("complaint", None, "NOT-SPAM", "a@b") and counted("complaint", None, "not-spam ", "a@b")


def _record(message_id: str, event_type: str, recipient: str, source: str, tags: object, minute: int) -> str:
    when = f"2024-05-02T10:{minute:02d}:00.000Z"
    mail = {"timestamp": "2024-05-02T10:00:00.000Z", "source": source, "messageId": message_id,
            "destination": [recipient], "tags": tags, "commonHeaders": {"subject": "s"}}
    detail = {"Send": ("send", {}), "Delivery": ("delivery", {"timestamp": when, "recipients": [recipient]}),
              "Open": ("open", {"timestamp": when})}[event_type]
    return sns_envelope({"eventType": event_type, "mail": mail, detail[0]: detail[1]})


def _same(sqlite: Store, pg: PostgresStore, tag_keys: tuple[str, ...]) -> int:
    now, compared = 1_714_647_000_000 + 3_600_000, 0
    for group_by in DIMENSIONS:
        for key in tag_keys if group_by == "campaign" else ("campaign",):
            expected = sqlite.breakdown(86_400_000, group_by, now=now, campaign_tag=key)
            got = pg.breakdown(86_400_000, group_by, now=now, campaign_tag=key)
            assert got == expected and json.dumps(got), (group_by, key)  # plain ints, not Decimals
            compared += bool(expected)
    return compared


TAGS = [{}, {"campaign": []}, {"campaign": [""]}, {"campaign": ["Spring", "spring", "Spring"]},
        {"k": "not-a-list"}, {"k": [1, None, "x"]}, {"K": ["v"], "k": ["v"]}, []]


def test_odd_records_roll_up_alike_on_both_backends(tmp_path, pg_url):
    bodies = [_record(f"odd-{i}", event_type, recipient, source, tags, 30 + i % 20)
              for i, (recipient, source, tags) in enumerate(itertools.product(
                  ADDRESSES + NON_ASCII, ["Name <x@Odd.Example> ", "no-at", "a@Sub.Example.ORG"], TAGS))
              for event_type in ("Send", "Delivery")]
    with Store(tmp_path / "events.db") as sqlite, PostgresStore(pg_url) as pg:
        for store in (sqlite, pg):
            store.add([(b, parse_body(b)) for b in bodies])
        assert pg.count("events") == sqlite.count("events") > 400
        assert _same(sqlite, pg, ("campaign", "k", "K", "absent")) >= 8


def test_a_messages_tags_are_its_first_record_with_tags_on_both_backends(tmp_path, pg_url):
    """Records of one message carrying different tags (SES puts the same on all; a sender's own
    tooling or a replay may not), in every order, in one batch and one by one."""
    variants = [{}, {"campaign": ["a"]}, {"campaign": ["b"], "k": ["v"]}, {"k": []}]
    messages = [[_record(f"m{i}", kind, "x@y.example", "a@b.example", tags, minute)
                 for kind, tags, minute in zip(("Send", "Delivery", "Open"), combo, (30, 31, 32), strict=True)]
                for i, combo in enumerate(itertools.product(variants, repeat=3))]
    for together in (True, False):
        with Store(tmp_path / f"events-{together}.db") as sqlite, PostgresStore(pg_url) as pg:
            pg._write("TRUNCATE events, records, messages, message_recipients, rollup_groups")
            for store in (sqlite, pg):
                for bodies in messages:
                    batches = [list(reversed(bodies))] if together else [[b] for b in bodies]
                    for batch in batches:
                        store.add([(b, parse_body(b)) for b in batch])
            assert _same(sqlite, pg, ("campaign", "k")) >= 4
            tags = {r["message_id"]: r["tags"] for r in sqlite._query("SELECT message_id, tags FROM messages")}
            assert tags == {r["message_id"]: r["tags"] for r in pg._query("SELECT message_id, tags FROM messages")}
            held = {(r["message_id"], r["tag_key"], r["tag_value"]) for r in sqlite._query("SELECT * FROM message_tags")}
            assert held == {(m, k, v) for m, t in tags.items() for k, v in tag_pairs(t)}  # the rule tag_pairs states
            for tag in (("campaign", "a"), ("campaign", "b"), ("k", "v")):
                assert (sorted(e["message_id"] for e in pg.flow_page(tag=tag))
                        == sorted(e["message_id"] for e in sqlite.flow_page(tag=tag))), tag
            # Send without tags, Delivery {"campaign": ["b"], "k": ["v"]}, Open {"campaign": ["a"]}; a batch
            # holds them the other way round
            assert tag_pairs(tags["m9"]) == ((("campaign", "a"),) if together else (("campaign", "b"), ("k", "v")))

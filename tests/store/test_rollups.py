"""Hourly roll-ups: always equal to a full recount of the events table, and breakdowns read only them."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from fixtures import sns_envelope

from sestui.core.classify import complaint_counts
from sestui.core.events import parse_body
from sestui.store import Store, to_ms

T0 = datetime(2024, 5, 1, tzinfo=UTC)
SOURCES = ["Billing <billing@Shop.example.com>", "news@news.example.org", "Alerts <alerts@ops.example.net> "]
DOMAINS = ["gmail.com", "Example.ORG", "corp.example.co.uk"]
CAMPAIGNS = [None, "spring", "receipts"]
DIAGNOSTICS = ["smtp; 550 5.1.1 user unknown", "smtp; 552 5.2.2 Mailbox full", "smtp; 550 5.7.1 spam", None]
IDENTITY_TYPES = ("Bounce", "Complaint", "Delivery")


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _message(rng: random.Random, i: int) -> list[str]:
    """A message's records (send, then a random outcome per recipient), all with the same mail object."""
    sent = T0 + timedelta(minutes=rng.randrange(5 * 24 * 60), milliseconds=rng.randrange(60_000))
    rcpts = [f"u{i}-{k}@{rng.choice(DOMAINS)}" for k in range(rng.choice([1, 1, 1, 2, 3]))]
    campaign = rng.choice(CAMPAIGNS)
    tags = {"ses:configuration-set": [rng.choice(["tx", "bulk"])]}
    if campaign:
        tags["campaign"] = [campaign]
    mail = {"timestamp": _iso(sent), "source": rng.choice(SOURCES), "messageId": f"roll-{i:05d}",
            "destination": rcpts, "tags": tags, "commonHeaders": {"subject": f"s{i}"}}
    bodies = [sns_envelope({"eventType": "Send", "mail": mail, "send": {}})]
    for rcpt in rcpts:
        when = _iso(sent + timedelta(seconds=rng.randrange(1, 7200)))
        roll = rng.random()
        if roll < 0.5:
            rec = {"eventType": "Delivery", "delivery": {"timestamp": when, "recipients": [rcpt]}}
        elif roll < 0.8:
            diag = rng.choice(DIAGNOSTICS)
            entry = {"emailAddress": rcpt, **({"diagnosticCode": diag, "status": "5.0.0"} if diag else {})}
            rec = {"eventType": "Bounce", "bounce": {"bounceType": rng.choice(["Permanent", "Transient"]),
                                                    "bounceSubType": "General", "timestamp": when,
                                                    "bouncedRecipients": [entry]}}
        else:
            rec = {"eventType": "Complaint", "complaint": {
                "timestamp": when, "complainedRecipients": [{"emailAddress": rcpt}],
                "complaintFeedbackType": rng.choice(["abuse", "not-spam", None]),
                "complaintSubType": rng.choice([None, None, "OnAccountSuppressionList"])}}
        shape = rng.random()
        if shape < 0.6 or rec["eventType"] not in IDENTITY_TYPES:
            bodies.append(sns_envelope({**rec, "mail": mail}))
        if shape >= 0.4 and rec["eventType"] in IDENTITY_TYPES:
            # an identity notification: the same event, its mail object without tags (so without
            # the configuration set); shuffled, it often arrives before every record that has them
            identity = {"notificationType": rec.pop("eventType"), **rec,
                        "mail": {k: v for k, v in mail.items() if k != "tags"}}
            bodies.append(sns_envelope(identity))
    if rng.random() < 0.1:  # now and then only identity notifications arrive: the set stays unknown
        bodies = [b for b in bodies if "notificationType" in b]
    return bodies


def _domain(address: str, strip: str = "") -> str:
    if "@" not in address:
        return ""
    return address.split("@", 1)[1].rstrip(strip).strip().lower()


def recount(store: Store) -> tuple[Counter, Counter]:
    """The roll-ups as they should be, counted from every stored event in Python: per hour x type x
    hard x the configuration set and tags of the event's message (any record of it) x ...; and per
    tag key x hour x type x hard x tag value."""
    messages = {m: (cs, json.loads(t or "{}"))
                for m, cs, t in store.conn.execute("SELECT message_id, configuration_set, tags FROM messages")}
    hourly: Counter = Counter()
    tagged: Counter = Counter()
    for ev in store.iter_events():
        if ev["event_type"] == "complaint" and not complaint_counts(ev["complaint_sub_type"],
                                                                     ev["complaint_feedback_type"]):
            continue
        config_set, tags = messages[ev["message_id"]]
        hour = ev["ts"] // 3_600_000 * 3_600_000
        hard = int(ev["event_type"] == "bounce" and ev["bounce_type"] == "Permanent")
        hourly[(hour, ev["event_type"], hard, config_set or "", _domain(ev["source"] or "", "> "),
                _domain(ev["recipient"]), ev["bounce_class"] or "", ev["complaint_feedback_type"] or "")] += 1
        for key, values in tags.items():
            for value in values:
                tagged[(key, hour, ev["event_type"], hard, value)] += 1
    return hourly, tagged


def rolled_up(store: Store) -> tuple[Counter, Counter]:
    rows = store.conn.execute("SELECT hour, event_type, hard, configuration_set, from_domain, recipient_domain,"
                              " bounce_class, feedback_type, n FROM rollup_hourly")
    tags = store.conn.execute("SELECT tag_key, hour, event_type, hard, tag_value, n FROM rollup_tags")
    return Counter({tuple(r[:-1]): r[-1] for r in rows}), Counter({tuple(r[:-1]): r[-1] for r in tags})


def groups_of(store: Store) -> tuple[Counter, Counter]:
    """(rollup_groups as stored, the recount summed per dimension, per hour, per 6 hours (dimension
    "6h:X") and per day ("day:X"); dimension "" = the totals)."""
    from sestui.store.rollups import COLUMNS, GROUP_DIMENSIONS

    expected: Counter = Counter()
    for key, n in recount(store)[0].items():
        row = dict(zip(COLUMNS, key, strict=True))
        for dim in ("", *GROUP_DIMENSIONS):
            for prefix, block in (("", 3_600_000), ("6h:", 6 * 3_600_000), ("day:", 86_400_000)):
                expected[(prefix + dim, row["hour"] // block * block, row["event_type"], row["hard"],
                          row[dim] if dim else "")] += n
    stored: Counter = Counter()
    rows = store.conn.execute("SELECT * FROM rollup_groups")
    names = [c[0] for c in rows.description]
    for row in rows:
        counts = dict(zip(names, row, strict=True))
        dim, hour, value = counts.pop("dimension"), counts.pop("hour"), counts.pop("value")
        hard = counts.pop("bounce_hard")
        for event_type, n in counts.items():
            for h, part in ((0, n - hard), (1, hard)) if event_type == "bounce" else ((0, n),):
                if part:
                    stored[(dim, hour, event_type, h, value)] += part
    return stored, expected


def tags_of_messages(store: Store) -> tuple[set, set]:
    """(message_tags as stored, the tags each stored message row holds): equal after every write and prune."""
    stored = set(store.conn.execute("SELECT message_id, tag_key, tag_value FROM message_tags"))
    expected = {(m, k, v) for m, t in store.conn.execute("SELECT message_id, tags FROM messages")
                for k, values in json.loads(t or "{}").items() for v in values}
    return stored, expected


def _ingest(store: Store, bodies: list[str], rng: random.Random) -> None:
    rng.shuffle(bodies)
    for i in range(0, len(bodies), 37):
        store.add([(b, parse_body(b)) for b in bodies[i:i + 37]])


def test_rollups_equal_a_recount_after_ingest_prune_and_duplicates(tmp_path):
    rng = random.Random(20261201)
    bodies = [b for i in range(400) for b in _message(rng, i)]
    with Store(tmp_path / "events.db") as store:
        _ingest(store, list(bodies), rng)
        assert rolled_up(store) == recount(store) and sum(recount(store)[0].values()) > 500
        assert groups_of(store)[0] == groups_of(store)[1]
        stored, expected = tags_of_messages(store)
        assert stored == expected and len(expected) > 400
        cut = to_ms(T0 + timedelta(days=2, minutes=17, seconds=5))  # inside an hour, not on its edge
        store.prune(cut)
        after_prune = recount(store)
        assert rolled_up(store) == after_prune
        assert groups_of(store)[0] == groups_of(store)[1]
        assert min(key[0] for key in after_prune[0]) == cut // 3_600_000 * 3_600_000
        stored, expected = tags_of_messages(store)
        assert stored == expected and store.conn.execute("SELECT count(*) FROM messages").fetchone()[0] < 400
        _ingest(store, rng.sample(bodies, 600), rng)  # duplicates, and what the prune removed, again
        assert rolled_up(store) == recount(store)
        assert tags_of_messages(store)[0] == tags_of_messages(store)[1]
        assert groups_of(store)[0] == groups_of(store)[1]


def test_a_database_from_before_rollups_gets_them_from_its_events(tmp_path):
    rng = random.Random(5)
    path = tmp_path / "events.db"
    with Store(path) as store:
        _ingest(store, [b for i in range(50) for b in _message(rng, i)], rng)
        expected = recount(store)
        store.conn.execute("DROP TABLE rollup_hourly")
        store.conn.execute("PRAGMA user_version = 3")
    with Store(path) as store:
        assert rolled_up(store) == expected
        assert groups_of(store)[0] == groups_of(store)[1]


V8_GROUPS = ("CREATE TABLE rollup_groups (dimension TEXT NOT NULL, hour INTEGER NOT NULL, event_type TEXT NOT NULL,"
             " hard INTEGER NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,"
             " PRIMARY KEY (dimension, hour, event_type, hard, value)) WITHOUT ROWID")


def test_a_schema_8_database_gets_the_new_rollup_groups(tmp_path):
    """Migration 9 on a database written before it: rollup_groups in version 8's shape (a row per
    event type, hourly and daily rows) is replaced by a row per group with 6-hour rows too."""
    rng = random.Random(8)
    path = tmp_path / "events.db"
    with Store(path) as store:
        _ingest(store, [b for i in range(80) for b in _message(rng, i)], rng)
        expected = {w: store.breakdown(w, "recipient_domain", now=to_ms(T0 + timedelta(days=3, hours=7)))
                    for w in (3_600_000, 86_400_000)}
        store.conn.execute("DROP TABLE rollup_groups")
        store.conn.execute(V8_GROUPS)
        store.conn.execute("INSERT INTO rollup_groups SELECT '', hour, event_type, hard, '', sum(n) FROM rollup_hourly"
                           " GROUP BY hour, event_type, hard")
        store.conn.execute("PRAGMA user_version = 8")
    with Store(path) as store:
        assert store.schema_version == 9
        assert groups_of(store)[0] == groups_of(store)[1]
        assert store.conn.execute("SELECT count(*) FROM rollup_groups WHERE dimension LIKE '6h:%'").fetchone()[0]
        assert {w: store.breakdown(w, "recipient_domain", now=to_ms(T0 + timedelta(days=3, hours=7)))
                for w in expected} == expected


@pytest.fixture
def breakdown_store(tmp_path):
    rng = random.Random(11)
    with Store(tmp_path / "events.db") as store:
        _ingest(store, [b for i in range(300) for b in _message(rng, i)], rng)
        yield store


@pytest.mark.parametrize("group_by", ["configuration_set", "from_domain", "recipient_domain", "campaign",
                                      "bounce_class", "feedback_type"])
@pytest.mark.parametrize("now, window", [
    (T0 + timedelta(days=3), timedelta(hours=24)),  # one whole day, and the hour `now` starts
    (T0 + timedelta(days=4, hours=5, minutes=17), timedelta(days=3)),  # whole days, hours at both ends
    (T0 + timedelta(days=2, hours=20), timedelta(hours=7)),  # hours only
    (T0 + timedelta(days=2, hours=17, minutes=40), timedelta(hours=24)),  # an hour, then 6-hour blocks
    (T0 + timedelta(days=3, hours=14, minutes=5), timedelta(hours=20)),  # 6-hour blocks, then hours
    (T0 + timedelta(days=2, hours=4, minutes=50), timedelta(hours=4)),  # hours inside one 6-hour block
])
def test_breakdown_sums_the_events_of_its_window_per_group(breakdown_store, group_by, now, window):
    store = breakdown_store
    now, window = to_ms(now), int(window.total_seconds() * 1000)
    since = (now - window) // 3_600_000 * 3_600_000
    messages = {m: (cs, json.loads(t or "{}"))
                for m, cs, t in store.conn.execute("SELECT message_id, configuration_set, tags FROM messages")}
    expected: dict[str, Counter] = {}
    for ev in store.iter_events():
        if not since <= ev["ts"] // 3_600_000 * 3_600_000 <= now or (
                ev["event_type"] == "complaint"
                and not complaint_counts(ev["complaint_sub_type"], ev["complaint_feedback_type"])):
            continue
        config_set, tags = messages[ev["message_id"]]
        group = {"configuration_set": config_set or "", "from_domain": _domain(ev["source"] or "", "> "),
                 "recipient_domain": _domain(ev["recipient"]), "campaign": (tags.get("campaign") or [""])[0],
                 "bounce_class": ev["bounce_class"] or "", "feedback_type": ev["complaint_feedback_type"] or ""}
        counts = expected.setdefault(group[group_by], Counter())
        counts[ev["event_type"]] += 1
        counts["bounce_hard"] += ev["event_type"] == "bounce" and ev["bounce_type"] == "Permanent"
    expected = {g: +c for g, c in expected.items()}
    rows = store.breakdown(window, group_by, now=now)
    assert {r["group"]: Counter({t: n for t, n in r.items() if t != "group" and n}) for r in rows} == expected
    # AWS's bounce rate counts hard bounces: the groups adding the most come first
    hard = [r["bounce_hard"] for r in rows]
    assert hard == sorted(hard, reverse=True) and len(rows) >= 2


def test_breakdown_reads_only_the_rollups(breakdown_store):
    statements: list[str] = []
    breakdown_store.conn.set_trace_callback(statements.append)
    try:
        breakdown_store.breakdown(3_600_000, "campaign", now=to_ms(T0 + timedelta(days=1)))
    finally:
        breakdown_store.conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects and all("events" not in s and ("rollup_groups" in s or "rollup_tags" in s) for s in selects)
    for select, table in zip(selects, ("rollup_tags", "rollup_groups"), strict=True):  # the tag's, the totals
        plan = [r[3] for r in breakdown_store.conn.execute("EXPLAIN QUERY PLAN " + select)]
        assert any(step.startswith(f"SEARCH {table}") for step in plan), plan


def test_breakdown_refuses_an_unknown_dimension(breakdown_store):
    with pytest.raises(ValueError, match="cannot break down by"):
        breakdown_store.breakdown(3_600_000, "subject; DROP TABLE events")

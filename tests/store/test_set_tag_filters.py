"""The flow's `set:NAME` and `tag:KEY=VALUE` filters and the breakdown groups they drill into, on both
backends: an event's configuration set and tags are its message's (any stored record of it), so a
Bounce through an identity topic counts under its set, once a record that names the set is stored."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from fixtures import sns_envelope
from test_rollups import T0, _ingest, _message
from test_store import add
from test_store_contract import BACKENDS, open_backend

from sestui.core.classify import complaint_counts
from sestui.store import queries, to_ms

store_fixture = pytest.fixture(params=BACKENDS, name="store")(open_backend)

FORTNIGHT = 14 * 86_400_000
MAIL = {"timestamp": "2024-05-14T09:00:00.000Z", "source": "shop@example.com", "messageId": "late-set-1",
        "destination": ["gone@example.org"], "commonHeaders": {"subject": "Receipt"}}
TAGS = {"ses:configuration-set": ["tx"], "campaign": ["spring"]}
BOUNCE = {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2024-05-14T09:00:05.000Z",
          "bouncedRecipients": [{"emailAddress": "gone@example.org", "status": "5.1.1",
                                 "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}
NOW = to_ms(T0 + timedelta(days=14))


def identity_bounce() -> str:
    return sns_envelope({"notificationType": "Bounce", "mail": MAIL, "bounce": BOUNCE})


def send_with_set() -> str:
    return sns_envelope({"eventType": "Send", "mail": {**MAIL, "tags": TAGS}, "send": {}})


def groups(store, group_by: str) -> dict[str, tuple[int, int]]:
    return {r["group"]: (r["bounce"], r["bounce_hard"]) for r in store.breakdown(FORTNIGHT, group_by, now=NOW)
            if r["bounce"]}


def test_a_bounce_through_the_identity_topic_counts_under_its_messages_set(store):
    add(store, identity_bounce())  # before the Send: nothing says which set the message went through
    assert groups(store, "configuration_set") == {"": (1, 1)}
    assert groups(store, "campaign") == {"": (1, 1)}
    assert store.flow_page(configuration_set="tx") == [] and store.flow_count(after_id=0, tag=("campaign", "spring")) == 0
    add(store, send_with_set())  # the Send names it: the earlier bounce moves there
    assert groups(store, "configuration_set") == {"tx": (1, 1)}
    assert groups(store, "campaign") == {"spring": (1, 1)}
    for where in ({"configuration_set": "tx"}, {"tag": ("campaign", "spring")},
                  {"configuration_set": "tx", "tag": ("campaign", "spring")}):
        assert [r["event_type"] for r in store.flow_page(**where)] == ["send", "bounce"], where
        assert store.flow_count(after_id=0, **where) == 2
        assert [r["event_type"] for r in store.flow_page(types=["bounce"], **where)] == ["bounce"]
    assert store.flow_page(configuration_set="tx", tag=("campaign", "autumn")) == []


def test_the_same_bounce_in_both_shapes_is_one_bounce_under_its_set(store):
    config_set_bounce = sns_envelope({"eventType": "Bounce", "mail": {**MAIL, "tags": TAGS}, "bounce": BOUNCE})
    add(store, identity_bounce())
    add(store, config_set_bounce)  # a duplicate: not stored again, but it brings the set and the tags
    assert groups(store, "configuration_set") == {"tx": (1, 1)}
    assert groups(store, "campaign") == {"spring": (1, 1)}
    assert store.flow_count(after_id=0, configuration_set="tx") == 1


def test_filters_match_nothing_for_an_unknown_set_or_tag(store):
    add(store, send_with_set(), identity_bounce())
    assert store.flow_page(configuration_set="no-such-set") == []
    assert store.flow_page(tag=("campaign", "no-such")) == [] and store.flow_page(tag=("no-such", "spring")) == []
    assert store.flow_count(after_id=0, configuration_set="no-such-set") == 0
    assert store.flow_page(configuration_set="TX") == []  # names are exact
    assert store.flow_page(text="gone@", configuration_set="tx", limit=5)  # with a substring (full-text path)


def fill(store) -> None:
    """A random corpus: identity notifications among the records, all shuffled."""
    rng = random.Random(31)
    _ingest(store, [b for i in range(150) for b in _message(rng, i)], rng)


@pytest.fixture
def corpus(store):
    fill(store)
    return store


def _expected(store, **where) -> list[int]:
    """Event ids (newest first) whose message has the set / the tag, from each message's record."""
    out = []
    for ev in store.iter_events():
        message = store.message(ev["message_id"])
        tags = message["tags"] if message else {}
        if "configuration_set" in where and (message or {}).get("configuration_set") != where["configuration_set"]:
            continue
        if "tag" in where and where["tag"][1] not in tags.get(where["tag"][0], []):
            continue
        out.append(ev["id"])
    return sorted(out, reverse=True)


WHERES = [{"configuration_set": "tx"}, {"configuration_set": "bulk"}, {"tag": ("campaign", "spring")},
          {"tag": ("campaign", "receipts")}, {"tag": ("ses:configuration-set", "bulk")},
          {"configuration_set": "tx", "tag": ("campaign", "spring")}]


def check_filter(store, where: dict) -> None:
    expected = _expected(store, **where)
    assert len(expected) > 10
    assert [r["id"] for r in store.flow_page(limit=10_000, **where)] == expected
    assert [r["id"] for r in store.flow_page(limit=7, **where)] == expected[:7]
    older = store.flow_page(before_id=expected[5], limit=3, **where)
    assert [r["id"] for r in older] == expected[6:9]
    assert [r["id"] for r in store.flow_page(after_id=expected[20], limit=10_000, **where)] == expected[:20][::-1]
    assert store.flow_count(after_id=expected[12], **where) == 12


def check_drill_down(store, group_by: str, where: str) -> None:
    """What the breakdown counts for a group is what the flow filtered to it shows (the complaints that
    are not the recipient's aside: the roll-ups leave them out)."""
    rows = [r for r in store.breakdown(FORTNIGHT, group_by, now=NOW) if r["group"]]
    assert len(rows) >= 2
    for row in rows:
        arg = {where: row["group"] if where == "configuration_set" else ("campaign", row["group"])}
        shown = [r for r in store.flow_page(limit=10_000, **arg)
                 if r["event_type"] != "complaint" or complaint_counts(r["complaint_sub_type"],
                                                                       r["complaint_feedback_type"])]
        counted = {t: n for t, n in row.items() if t not in ("group", "bounce_hard") and n}
        by_type: dict[str, int] = {}
        for r in shown:
            by_type[r["event_type"]] = by_type.get(r["event_type"], 0) + 1
        assert by_type == counted, row["group"]
        assert row["bounce_hard"] == sum(r["event_type"] == "bounce" and r["bounce_type"] == "Permanent" for r in shown)


DRILLS = [("configuration_set", "configuration_set"), ("campaign", "tag")]


@pytest.mark.parametrize("where", WHERES)
def test_set_and_tag_filters_match_exactly_their_messages_events(corpus, where):
    check_filter(corpus, where)


@pytest.mark.parametrize("group_by,where", DRILLS)
def test_every_breakdown_group_drills_into_exactly_its_events(corpus, group_by, where):
    check_drill_down(corpus, group_by, where)


def test_sqlite_walking_the_events_for_a_common_tag_gives_the_same_rows(tmp_path, monkeypatch):
    """SQLite's other shape of the tag filter (a tag on more than TAG_LOOKUP_MAX messages)."""
    from sestui.store import Store

    monkeypatch.setattr(queries, "TAG_LOOKUP_MAX", 2)
    with Store(tmp_path / "events.db") as store:
        fill(store)
        for where in WHERES:
            check_filter(store, where)
        for group_by, where_key in DRILLS:
            check_drill_down(store, group_by, where_key)


def test_a_local_guard_counts_the_messages_set_and_hard_bounces(tmp_path):
    """guard_state.local_counts (a guard over a local group): the identity bounce counts under its
    message's set, and `bounce_hard` holds the Permanent ones (a guard's bounce rate, as AWS's)."""
    from sestui.store import Store
    from sestui.store.guard_state import local_counts

    soft = {**BOUNCE, "bounceType": "Transient", "bounceSubType": "MailboxFull",
            "bouncedRecipients": [{"emailAddress": "full@example.org"}]}
    mail = {**MAIL, "destination": ["gone@example.org", "full@example.org"]}
    with Store(tmp_path / "events.db") as store:
        add(store, identity_bounce(), sns_envelope({"notificationType": "Bounce", "mail": mail, "bounce": soft}))
        assert local_counts(store.conn, 0, configuration_set="tx") == {}
        add(store, send_with_set())
        assert local_counts(store.conn, 0, configuration_set="tx") == {"send": 1, "bounce": 2, "bounce_hard": 1}


def test_a_version_5_database_gets_sets_tags_and_rollups_from_its_messages(tmp_path):
    """Migration 6 on a database written before it: the identity bounce (no set of its own) takes its
    message's, the message's tags are indexed, and the roll-ups are counted again."""
    import sqlite3

    import sqlite_utils

    from sestui.store import Store
    from sestui.store.schema import MIGRATIONS

    path = tmp_path / "v5.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for step in MIGRATIONS[:5]:
        step(sqlite_utils.Database(conn))
    conn.execute("INSERT INTO events (message_id, event_type, recipient, ts, bounce_type, configuration_set)"
                 " VALUES ('old-1', 'bounce', 'gone@example.org', 1715677205000, 'Permanent', NULL),"
                 " ('old-1', 'send', 'gone@example.org', 1715677200000, NULL, 'tx')")
    conn.execute("INSERT INTO messages (message_id, first_seen, configuration_set, tags) VALUES"
                 " ('old-1', 1, 'tx', ?)", (json.dumps(TAGS),))
    conn.execute("PRAGMA user_version = 5")
    conn.execute("COMMIT")
    conn.close()
    with Store(path) as store:
        assert [r["configuration_set"] for r in store.flow_page()] == ["tx", "tx"]
        assert [r["event_type"] for r in store.flow_page(tag=("campaign", "spring"))] == ["send", "bounce"]
        assert groups(store, "configuration_set") == {"tx": (1, 1)} and groups(store, "campaign") == {"spring": (1, 1)}


def test_an_event_without_a_set_of_its_own_carries_its_messages(corpus):
    """What export and the timeline show: a Bounce through an identity topic names no set; once a
    record of its message does (before it or after), the stored event carries it, on either backend."""
    checked = 0
    for ev in corpus.iter_events():
        message = corpus.message(ev["message_id"]) or {}
        if message.get("configuration_set"):
            assert ev["configuration_set"] == message["configuration_set"], ev
            checked += 1
    assert checked > 100

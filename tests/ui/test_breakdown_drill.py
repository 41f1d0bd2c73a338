"""The breakdown pane (7) with its [breakdown] settings, and `enter` on a configuration-set or tag
group: the flow it opens holds exactly that group's events (the parser's `set:` and `tag:` terms:
test_filters.py)."""

from __future__ import annotations

import pytest
from console_data import make_app, open_pane, plain_rows, press, rendered, run, settle

from sestui.config.schema import Breakdown
from sestui.store import Store


def _group_events(store, *, config_set: str | None = None, tag: tuple[str, str] | None = None) -> set[int]:
    """Ids of every stored event whose message has the set / the tag (from the messages table)."""
    out = set()
    for ev in store.iter_events():
        message = store.message(ev["message_id"])
        if config_set is not None and message["configuration_set"] != config_set:
            continue
        if tag is not None and tag[1] not in message["tags"].get(tag[0], []):
            continue
        out.add(ev["id"])
    return out


async def _open_group(pilot, app, group: str, presses: tuple[str, ...] = ()) -> None:
    await press(pilot, "7")
    for key in presses:
        await pilot.press(key)
    await settle(pilot)
    rows = [r[0] for r in plain_rows(app, "breakdown")]
    assert group in rows, rows
    app.pane("breakdown").table.move_cursor(row=rows.index(group))
    await press(pilot, "enter")
    assert app.current == "flow"


@pytest.mark.parametrize("group,presses,text,where", [
    ("marketing", (), "set:marketing", {"config_set": "marketing"}),
    ("transactional", (), "set:transactional", {"config_set": "transactional"}),
    ("spring", ("b", "b", "b"), "tag:campaign=spring", {"tag": ("campaign", "spring")}),
    ("newsletter", ("b", "b", "b"), "tag:campaign=newsletter", {"tag": ("campaign", "newsletter")}),
])
def test_enter_on_a_set_or_campaign_group_shows_exactly_its_events(streams, group, presses, text, where):
    app = make_app(streams)
    expected = _group_events(streams, **where)

    async def scenario(pilot):
        await _open_group(pilot, app, group, presses)
        flow = app.pane("flow")
        assert flow.text == text
        shown = {row["id"] for row in flow.data.values()}
        assert shown and shown <= expected
        assert len(shown) == min(len(expected), flow.table.row_count) and len(shown) == flow.table.row_count
        newest = sorted(expected, reverse=True)[:len(shown)]
        assert shown == set(newest)  # the newest of the group, none left out

    run(app, scenario)


def test_the_campaign_tag_key_is_the_setting(streams):
    """[breakdown] campaign_tag: group by another tag, and drill into it through tag:KEY=VALUE."""
    app = make_app(streams, breakdown=Breakdown(campaign_tag="ses:configuration-set"))

    async def scenario(pilot):
        await _open_group(pilot, app, "transactional", ("b", "b", "b"))
        flow = app.pane("flow")
        assert flow.text == "tag:ses:configuration-set=transactional"
        shown = {row["id"] for row in flow.data.values()}
        assert shown and shown <= _group_events(streams, config_set="transactional")

    run(app, scenario)


def test_the_minimum_volume_is_the_setting(streams):
    """24 h of marketing is 50 sends: under [breakdown] min_volume = 100 its rate is not coloured;
    `v` steps on from the configured minimum."""
    app = make_app(streams, breakdown=Breakdown(min_volume=100))

    async def scenario(pilot):
        pane = await open_pane(pilot, "breakdown")
        assert pane.min_volume == 100 and "min volume 100" in str(pane.query_one("#bd-title").render())
        assert pane.table.get_row("g:marketing")[5].style.dim
        await press(pilot, "v")
        assert pane.min_volume == 20
        assert not pane.table.get_row("g:marketing")[5].style.dim

    run(app, scenario)


def test_hard_and_soft_bounces_are_told_apart_and_the_rate_is_the_hard_ones(tmp_path):
    from console_data import NOW, envelope, record

    from sestui.core.events import parse_body

    with Store(tmp_path / "soft.db") as store:
        bodies = []
        for i in range(40):
            sent = NOW
            kinds = ["Send"] + (["Bounce"] if i < 10 else ["Delivery"])
            for kind in kinds:
                extra = {"bounce_type": "Transient", "bounce_subtype": "MailboxFull"} if 2 <= i < 10 else {}
                rec = record(kind, 900 + i, f"s{i}@example.com", sent, sent, "Offer", **extra)
                rec["mail"]["tags"] = {"ses:configuration-set": ["promo"]}
                bodies.append(envelope(rec))
        store.add([(b, parse_body(b)) for b in bodies])
        app = make_app(store, breakdown=Breakdown(min_volume=0))

        async def scenario(pilot):
            await press(pilot, "7")
            row = app.pane("breakdown").table.get_row("g:promo")
            assert [c.plain for c in row[1:6]] == ["40", "30", "2", "8", "5.0%"]  # 2 hard of 40, not 10

        run(app, scenario)


# -- [breakdown] in the config file -----------------------------------------------------------------


def _settings(tmp_path, text: str):
    from sestui.config.settings import load

    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load(path=path, env={})


def test_breakdown_settings_default_and_from_the_file(tmp_path):
    assert _settings(tmp_path, "").breakdown == Breakdown(min_volume=100, campaign_tag="campaign")
    got = _settings(tmp_path, '[breakdown]\nmin_volume = 0\ncampaign_tag = "promo"\n').breakdown
    assert got == Breakdown(min_volume=0, campaign_tag="promo")


@pytest.mark.parametrize("text,says", [
    ("[breakdown]\nmin_volume = -1\n", "[breakdown] min_volume must be a whole number of at least 0, not -1"),
    ("[breakdown]\nmin_volume = true\n", "[breakdown] min_volume must be a whole number of at least 0, not True"),
    ('[breakdown]\ncampaign_tag = ""\n', "[breakdown] campaign_tag must be a tag name"),
    ("[breakdown]\ncampaign_tag = 3\n", "[breakdown] campaign_tag must be a tag name"),
    ("[breakdown]\nvolume = 3\n", "[breakdown] has no setting 'volume' (known: campaign_tag, min_volume)"),
])
def test_a_bad_breakdown_setting_is_one_line(tmp_path, text, says):
    from sestui.config.schema import ConfigError

    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, text)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_local_guard_without_its_own_minimum_takes_the_breakdowns(tmp_path):
    from sestui.ops import routing

    guard = {"name": "g", "metric": "bounce_rate", "source": "local", "configuration_set": "tx",
             "warn": {"level": "5%"}}
    assert routing.load({"guards": [guard]}).guards[0].min_volume == 100
    tables = {"guards": [guard, {**guard, "name": "own", "min_volume": 7}], "breakdown": {"min_volume": 40}}
    assert [g.min_volume for g in routing.load(tables).guards] == [40, 7]
    aws = {**guard, "name": "aws", "source": "aws"}
    assert routing.load({"guards": [aws], "breakdown": {"min_volume": 40}}).guards[0].min_volume == 0


def test_a_window_longer_than_the_stored_history_says_where_it_begins(tmp_path):
    """`last 14d` over a store that holds two days would pass for 14 days of mail (a trial read the
    demo's few minutes of events as its fortnight): the title says when the history begins."""
    from datetime import timedelta

    from console_data import NOW, envelope, record

    from sestui.core.events import parse_body

    with Store(tmp_path / "short.db") as store:
        sent = NOW - timedelta(days=2)
        body = envelope(record("Send", 1, "a@example.com", sent, sent, "Hello"))
        store.add([(body, parse_body(body))])
        app = make_app(store)

        async def scenario(pilot):
            await press(pilot, "7")
            title = rendered(app.pane("breakdown").query_one("#bd-title"))
            assert "last 24h" in title and "stored since" not in title  # the window holds no older mail
            await press(pilot, "w", "w")  # 24h -> 7d -> 14d
            title = rendered(app.pane("breakdown").query_one("#bd-title"))
            assert "last 14d" in title and f"stored since {sent:%m-%d %H:%M}" in title

        run(app, scenario, size=(120, 40))


def test_a_window_of_only_simulator_mail_says_why_it_is_empty(tmp_path):
    """Mail to the mailbox simulator counts in no rate (AWS's neither): a pane of test sends alone is
    empty, and says so rather than that nothing was sent."""
    import json
    from datetime import timedelta

    from console_data import NOW
    from fixtures import record
    from sestui.core.events import parse_body

    with Store(tmp_path / "sim.db") as store:
        rec = record("event-send")
        rec["mail"]["destination"] = ["bounce@simulator.amazonses.com"]
        rec["mail"]["timestamp"] = (NOW - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
        body = json.dumps(rec)
        store.add([(body, parse_body(body))])
        assert store.count("events") == 1
        app = make_app(store)

        async def scenario(pilot):
            await open_pane(pilot, "breakdown")
            assert plain_rows(app, "breakdown") == []
            said = rendered(app.pane("breakdown").query_one("#bd-empty"))
            assert said.startswith("No counted events in the last 24h (mail to the mailbox simulator is not counted)")

        run(app, scenario)

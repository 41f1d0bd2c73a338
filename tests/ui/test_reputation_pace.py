"""The reputation pane's projection on a store that holds minutes, as a fresh `sestui demo`'s does:
the pace is the stored minutes' (not a day's volume spread over 24 hours), the pane says it is
minutes of mail, and below a minimum of mail there is no projection, only why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from console_data import NOW, NOW_MS, envelope, make_app, press, record, run

from sestui.core.events import parse_body
from sestui.core.reputation import Figure, Rates, hours_to_cross
from sestui.ops.reputation import Reputation
from sestui.sandbox.demo.traffic import CAMPAIGNS
from sestui.store import Store

MARKETING_NOW = 0.045  # AWS's figure for the set, drifting toward the 5% review line (the demo's history)


def demo_marketing_mail(store: Store, sends: int, minutes: float) -> tuple[int, int]:
    """About `sends` messages through "marketing" over the last `minutes`, the demo's campaigns in
    their shares and hard-bounce profiles before the bought list; returns (sends, hard bounces)."""
    bodies, hard, n = [], 0, 0
    for campaign, (share, bounce_share, _, domains) in CAMPAIGNS.items():
        count = round(sends * share)
        bounced = round(count * bounce_share)
        for i in range(count):
            n += 1
            sent = NOW - timedelta(minutes=minutes) + timedelta(minutes=minutes) * (n / (sends + 1))
            kinds = ["Send", "Bounce" if i < bounced else "Delivery"]
            for kind in kinds:
                rec = record(kind, 50_000 + n, f"u{n}@{domains[0]}", sent, sent + timedelta(seconds=2), "Sale")
                rec["mail"]["tags"] = {"ses:configuration-set": ["marketing"], "campaign": [campaign]}
                bodies.append(envelope(rec))
        hard += bounced
    store.add([(b, parse_body(b)) for b in bodies], received_ms=NOW_MS)
    reading = Reputation(Rates(Figure(0.012, "cloudwatch", NOW_MS), Figure(0.0004, "cloudwatch", NOW_MS)),
                         [Rates(Figure(MARKETING_NOW, "cloudwatch", NOW_MS), Figure(0.0002, "cloudwatch", NOW_MS),
                                "marketing")], None, NOW_MS)
    status = {"production_access": True, "sending_enabled": True, "enforcement_status": "HEALTHY",
              "reputation": reading.to_json()}
    store.save_account_snapshot(taken_ms=NOW_MS - 1000, profile="prod", region="us-east-1", status=status)
    return n, hard


def marketing_row(tmp_path, sends: int, minutes: float):
    """Pane 4 on `sends` of the demo's marketing mail over the last `minutes`: (sends, hard bounces,
    the marketing scope, its "At this pace" cell)."""
    with Store(tmp_path / "demo.db") as store:
        sends, hard = demo_marketing_mail(store, sends, minutes)
        app = make_app(store)
        shown = []

        async def scenario(pilot):
            await press(pilot, "4")
            pane = pilot.app.pane("reputation")
            scope = next(s for s in pane.scopes if s.name == "marketing")
            shown.extend([scope, pane.table.get_row("set:marketing")[3].plain])

        run(app, scenario, size=(120, 40))
    scope, cell = shown
    return sends, hard, scope, cell


def test_minutes_of_demo_mail_project_the_marketing_crossing_at_their_own_pace(tmp_path):
    """Three minutes of the demo's marketing mail (about 1 message a second, before the bought list
    the guard pauses the set for) hard-bounce at about 5.7%: AWS's 4.5% heads past review."""
    sends, hard, scope, cell = marketing_row(tmp_path, 160, 3)
    per_hour = sends / (scope.pace_basis.span_ms / 3_600_000)
    assert scope.pace_basis.sends == sends == 160 and 2.9 * 60_000 < scope.pace_basis.span_ms <= 3 * 60_000
    assert scope.pace["bounce"] == pytest.approx(
        hours_to_cross(MARKETING_NOW, hard / sends, per_hour, per_hour * 24, 0.05))
    # 160 sends spread over 24 h would be 7 an hour: the old pace, 20 times too slow
    assert cell.startswith("review in ~") and cell.endswith("3 min of mail"), cell


def test_a_minute_of_mail_makes_no_projection_and_says_why(tmp_path):
    sends, _, scope, cell = marketing_row(tmp_path, 12, 1)
    assert scope.pace == {"bounce": None, "complaint": None}
    seconds = round(scope.pace_basis.span_ms / 1000)  # the first send, a few seconds into the minute
    assert sends < 20 and 50 <= seconds < 60 and cell == f"too little mail ({sends} sends in {seconds} s)", cell

"""Every binding of the console by scope: the help screen is built from these, and the user's
keymap is checked against them (`keymap_problems`, also used by `sestui config`)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from textual.binding import Binding
from textual.keys import (
    _normalize_key_list,  # Textual's own keymap normalisation ("?" -> question_mark)
)

from sestui.ui.filters import HELP as FLOW_FILTER_HELP

APP_BINDINGS = [
    Binding("question_mark", "help", "Help", id="app.help", tooltip="every key, what each number means"),
    Binding("q", "back_or_quit", "Back/Quit", id="app.quit", tooltip="back one step; quit on pane 1"),
    Binding("escape", "back", "Back", show=False, id="app.back",
            tooltip="leave a text field, close, clear the filter, or go back"),
    Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="app.force_quit", tooltip="quit at once"),
    Binding("1", "pane('flow')", "Panes", key_display="1-8", id="pane.flow", tooltip="pane 1: Flow"),
    Binding("2", "pane('timeline')", "Timeline", show=False, id="pane.timeline", tooltip="pane 2: Timeline"),
    Binding("3", "pane('suppressions')", "Suppressions", show=False, id="pane.suppressions",
            tooltip="pane 3: Suppressions"),
    Binding("4", "pane('reputation')", "Reputation", show=False, id="pane.reputation", tooltip="pane 4: Reputation"),
    Binding("5", "pane('send')", "Send", show=False, id="pane.send", tooltip="pane 5: Send"),
    Binding("6", "pane('doctor')", "Doctor", show=False, id="pane.doctor", tooltip="pane 6: Doctor"),
    Binding("7", "pane('breakdown')", "Breakdown", show=False, id="pane.breakdown", tooltip="pane 7: Breakdown"),
    Binding("8", "pane('actions')", "Actions", show=False, id="pane.actions", tooltip="pane 8: Actions"),
    Binding("space", "pause", "Pause", id="app.pause", tooltip="freeze / resume live updates"),
    Binding("ctrl+r", "refresh_now", "Refresh", show=False, id="app.refresh",
            tooltip="reload the pane and header now"),
    Binding("D", "redrive_dlq", "Redrive DLQ", show=False, id="app.dlq_redrive",
            tooltip="move the dead-letter queue's messages back to the queue (asks first)"),
]

# Keys Textual widgets handle themselves, listed in help beside the bindings of their pane.
EXTRA_KEYS: dict[str, list[tuple[str, str]]] = {
    "Everywhere": [("in a text field", "every key types, digits, q, ? and space too (the footer shows the keys"
                                       " that still work); escape leaves the field, then they work as listed")],
    "Tables": [("enter", "open / drill down"), ("↑/↓ pgup/pgdn", "move"), ("^home/^end", "scroll to top / bottom")],
    "1 Flow": [("/ terms", FLOW_FILTER_HELP)],
    "2 Timeline": [("tab", "into the raw JSON below (then j/k or arrows scroll it)")],
    "5 Send": [("tab/shift+tab", "next / previous field"), ("enter", "on a preset: put its address in To"),
               ("esc", "leave the field (then 1-8 switch panes, 5 comes back to To); again: back")],
    "Command palette": [("^p", "every pane and action by name; type to search")],
}

# Every number the console shows, what it counts and over which window.
NUMBERS = [
    ("1h snd dlv bnc …", "pane 1: events stored in the last hour, by type: snd send, dlv delivery, bnc bounce,"
                         " cmp complaint, dly delivery_delay, opn open, clk click, rej reject, ren"
                         " rendering_failure, sub subscription. Every event, whatever the filter: the line says"
                         " \"1h unfiltered\" while a filter is on. When narrow, a zero ren/sub, then opn, clk,"
                         " dly and dlv give way; snd bnc cmp rej stay"),
    ("N new above (g)", "pane 1: newer events not loaded, so nothing moves under the cursor; g goes to the"
                        " newest and follows the events as they arrive"),
    ("bounce / complaint", "header: the account's bounce and complaint rates. aws: AWS's own figures"
                           " (CloudWatch reputation metrics), as the collector last read them (every 5 min;"
                           " '20m old' once no collector renews them); ~est: sestui's estimate, over 14 days"
                           " of SES send statistics (14d) or 24 hours of stored events (24h). Mail to the"
                           " mailbox simulator counts in none of sestui's rates, as in none of AWS's"),
    ("rejects 24h", "header (rej 24h when narrow): messages SES rejected in the last 24 hours"),
    ("quota N/M R/s", "header: messages sent in the last 24 hours / the 24-hour quota (yellow from 80%,"
                      " red when used up); R/s: the most messages SES accepts per second"),
    ("LIVE R ev/s", "header: a collector for this queue and database is receiving; R: events it stores per"
                    " second"),
    ("backlog N", "header: messages waiting in the SQS queue (visible and delayed, as SQS counts them)"),
    ("DLQ N / dlq 0", "header: messages in the queue's dead-letter queue (red when any: they failed"
                      " maxReceiveCount times; D moves them back and they are stored once)"),
    ("STALE / STOPPED", "header: the collector is failing or silent (for how long, why) / it stopped"
                        " (since when)"),
    ("STARTING", "header: the console has just started its collector, which has not checked in yet"),
    ("NO FEED", "header: no queue is configured, so no events arrive (sestui setup makes one)"),
    ("PAUSED", "header and pane bar: this console is paused (space); the collector goes on storing"),
    ("SET NAME PAUSED", "header: SES sends nothing through configuration set NAME (SendingEnabled off: a"
                        " guard's pause, or a person); pane 8, s resumes it"),
    ("bounce hard", "a permanent bounce: the address does not take mail; do not send to it again"),
    ("bounce soft", "a transient bounce (mailbox full, message too large, ...): SES gave up for now"),
    ("bounce undetermined", "a bounce SES could not classify"),
    ("render fail", "a Rendering Failure: SES could not fill the message's template, so it sent nothing"),
    ("4: ╌ review ─ pause", "pane 4: the rate at which AWS reviews the account, and at which it may pause"
                            " sending (bounce 5% / 10%, complaint 0.1% / 0.5%)"),
    ("4: Sends … Rejects", "pane 4: per UTC day over 14 days; - : not known (before the first stored event)"),
    ("4: aws/est/local", "pane 4: where a rate comes from: AWS (CloudWatch), sestui's estimate from SES"
                         " statistics, or the events stored here"),
    ("4: At this pace", "pane 4: when a rate would reach AWS's review line if mail bounces and complains as"
                        " in the last 24 hours"),
    ("7: Hard% Cmp% Of bnc", "pane 7: per group within the window (w): Sends, Deliv deliveries, Hard / Soft"
                             " bounces, Hard% hard bounces per send, Cmp complaints, Cmp% complaints per send,"
                             " Rej rejects; Of bnc (from 100 columns): the group's share of all bounces (Share:"
                             " of the bounces or complaints, grouped by their class or feedback type); a rate"
                             " under the minimum volume (v) is not coloured; mail to the mailbox simulator and complaints"
                             " that are not the recipient's are not counted, as in AWS's rates"),
    ("8: Hits 24h", "pane 8: events a rule matched in the last 24 hours"),
    ("8: guard State", "pane 8: armed (below its levels), warned or PAUSED since the crossing; RESUMED by"
                       " hand HH:MM (over pause): a person turned sending back on (s, sestui resume, or in"
                       " AWS itself) while the rate was over the pause level: the guard warned again, and"
                       " pauses again only after the rate recovers and crosses once more"),
    ("8: guard Rate", "pane 8: the rate the guard last measured, of N events in its window; - : none yet"
                      " (the collector measures every guard once a minute; no mail in the window, no rate)"),
    ("8: outbox State", "pane 8: pending (due at the time shown), running, retrying (the next attempt and"
                        " the last error), dead (gave up: r retries it), done (delivered)"),
]


def scopes() -> list[tuple[str, list[Binding]]]:
    """(help section, bindings) for every scope, in the order help shows them."""
    from sestui.ui.panes.actions import ActionsPane
    from sestui.ui.panes.breakdown import BreakdownPane
    from sestui.ui.panes.doctor import DoctorPane
    from sestui.ui.panes.flow import FlowPane
    from sestui.ui.panes.reputation import ReputationPane
    from sestui.ui.panes.send import SendPane
    from sestui.ui.panes.suppressions import SuppressionPane
    from sestui.ui.panes.timeline import TimelinePane
    from sestui.ui.screens.confirm import ConfirmScreen
    from sestui.ui.screens.help import HelpScreen
    from sestui.ui.screens.palette import Palette
    from sestui.ui.screens.path import PathScreen
    from sestui.ui.screens.policies import PoliciesScreen
    from sestui.ui.screens.suppress_form import SuppressFormScreen
    from sestui.ui.screens.types import TypesScreen
    from sestui.ui.widgets.common import KeyTable

    return [
        ("Everywhere", APP_BINDINGS),
        ("Tables", KeyTable.BINDINGS),
        ("1 Flow", FlowPane.BINDINGS),
        ("2 Timeline", TimelinePane.BINDINGS),
        ("3 Suppressions", SuppressionPane.BINDINGS),
        ("4 Reputation", ReputationPane.BINDINGS),
        ("5 Send", SendPane.BINDINGS),
        ("6 Doctor", DoctorPane.BINDINGS),
        ("7 Breakdown", BreakdownPane.BINDINGS),
        ("8 Actions", ActionsPane.BINDINGS),
        ("Confirmations", ConfirmScreen.BINDINGS),
        ("Event types (t)", TypesScreen.BINDINGS),
        ("Policies (p)", PoliciesScreen.BINDINGS),
        ("Forms", SuppressFormScreen.BINDINGS + PathScreen.BINDINGS),
        ("Command palette", Palette.BINDINGS),
        ("Help", HelpScreen.BINDINGS),
    ]


# Which scopes are active together: a key may be bound once per chain.
_PANE_CHAINS = {"1 Flow": True, "2 Timeline": True, "3 Suppressions": True, "5 Send": False, "6 Doctor": True,
               "4 Reputation": True, "7 Breakdown": True, "8 Actions": True}


def _chains() -> list[list[Binding]]:
    by_name = dict(scopes())
    chains = [by_name["Everywhere"] + by_name[pane] + (by_name["Tables"] if has_table else [])
              for pane, has_table in _PANE_CHAINS.items()]
    chains += [by_name[name] for name in ("Confirmations", "Event types (t)", "Policies (p)", "Help")]
    return chains


def keys_of(binding: Binding, keymap: dict[str, str]) -> list[str]:
    """The binding's keys after the user keymap, normalised (`question_mark`, not `?`)."""
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return [k for k in _normalize_key_list(keys).split(",") if k]


def keymap_problems(keymap: dict[str, str]) -> list[str]:
    """One line per problem in a [keymap] table: an id no binding has, or a key given to two bindings
    that are active together (the second would be silently lost)."""
    problems = []
    known = {b.id for _, bindings in scopes() for b in bindings if b.id}
    for binding_id in keymap:
        if binding_id not in known:
            close = difflib.get_close_matches(binding_id, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else " (help, ?, lists every id)"
            problems.append(f"keymap: no binding has the id {binding_id!r}{hint}")
    seen: set[tuple[str, str, str]] = set()
    for chain in _chains():
        owner: dict[str, Binding] = {}
        for binding in chain:
            for key in keys_of(binding, keymap):
                other = owner.get(key)
                if other is not None and other.id != binding.id and (binding.id in keymap or other.id in keymap):
                    pair = tuple(sorted((str(other.id), str(binding.id))))
                    if (key, *pair) not in seen:
                        seen.add((key, *pair))
                        problems.append(f"keymap: {key!r} is bound to both {pair[0]} and {pair[1]}; "
                                        f"only one of them would work")
                owner.setdefault(key, binding)
    return problems


def help_rows(bindings: Iterable[Binding], keymap: dict[str, str], display) -> list[tuple[str, str]]:
    """(keys, description  (id)) per binding; `display` turns a key into what the terminal shows.
    Bindings with the same keys and description (the forms' escape) share one row."""
    rows: list[tuple[str, str]] = []
    merged: dict[tuple[str, str], list[str]] = {}  # (keys, text) -> ids: one row for one key doing one thing
    for b in bindings:
        keys = "/".join(display(k) for k in keys_of(b, keymap))
        text = b.tooltip or b.description or b.action
        if (keys, text) in merged:
            merged[(keys, text)].append(str(b.id))
            continue
        merged[(keys, text)] = [str(b.id)] if b.id else []
        rows.append((keys, text))
    return [(keys, f"{text}  ({', '.join(merged[(keys, text)])})" if merged[(keys, text)] else text)
            for keys, text in rows]

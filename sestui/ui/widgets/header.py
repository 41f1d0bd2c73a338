"""The health header: two lines that say whether the account is fine, always visible.

Each line keeps room for its flags (STALE, quota used up) and gives up the least important text
first (the account id, then the profile); the reasons behind STALE are on the outcome line."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import App
from textual.widgets import Static

from sestui.core import health
from sestui.core.reputation import CLOUDWATCH, LOCAL, SEND_STATISTICS, Figure
from sestui.ops.reputation import Reputation
from sestui.ops.status import COLLECTOR_READING_MS
from sestui.ui.text import age, clock_time, count, ellipsize, literal, safe
from sestui.ui.widgets.common import show_line, theme_style
from sestui.ui.widgets.rates import short_figure


class HealthHeader(Static):
    paused_sets: tuple[str, ...] = ()  # configuration sets with sending off (kept by the Actions pane)
    dlq_backlog: int | None = None  # messages in the dead-letter queue (kept by the app)

    def show(self, s: health.Summary, now_ms: int, stale_since: int | None = None,
             reputation: Reputation | None = None) -> None:
        # The screen's width, not self.size (the content area, and 0 before the first layout): the
        # same line whenever it is drawn.
        show_line(self, render_health(self.app, s, now_ms, self.app.size.width, stale_since, reputation,
                                      paused=self.paused_sets, frozen=bool(getattr(self.app, "paused", False)),
                                      dlq=self.dlq_backlog))


def quota_used_up(s: health.Summary) -> bool:
    return bool(s.max_24h and s.max_24h > 0 and s.sent_24h is not None and s.sent_24h >= s.max_24h)


def header_figures(s: health.Summary, reputation: Reputation | None) -> tuple[Figure, Figure, bool]:
    """(bounce, complaint, estimated): AWS's CloudWatch figure where the latest reading has one,
    else the summary's own arithmetic (14 days of GetSendStatistics, or 24 h of local events)."""
    source = SEND_STATISTICS if s.rates_window == "14d" else LOCAL
    figures = []
    for kind, fallback in (("bounce", s.rates.bounce_rate), ("complaint", s.rates.complaint_rate)):
        aws = getattr(reputation.account, kind) if reputation else None
        figures.append(aws if aws and aws.source == CLOUDWATCH and aws.value is not None else Figure(fallback, source))
    return figures[0], figures[1], any(f.estimate for f in figures)


def render_health(app: App, s: health.Summary, now_ms: int, width: int, stale_since: int | None = None,
                  reputation: Reputation | None = None, paused: tuple[str, ...] = (), frozen: bool = False,
                  dlq: int | None = None) -> Text:
    """`frozen`: the console is paused (space), so the feed's slot says PAUSED before its state."""
    def style(colour: str, bold: bool = False):
        return theme_style(app, colour, bold)

    muted = style("text-muted")
    sep = Text(" │ ", style=muted)
    room = max(10, width - 2)

    where = Text.assemble(literal(ellipsize(safe(s.profile or "default"), 24), style=style("", True)), " ",
                          literal(s.region or "?"))
    account = Text.assemble(" ", (s.account, muted)) if s.account else Text("")
    if s.production is None:
        mode = Text("account ?", style=muted)
    elif s.production:
        mode = Text("PRODUCTION", style=style("success", True))
    else:
        mode = Text("SANDBOX", style=style("warning", True))
    exhausted = quota_used_up(s)
    if s.sending_enabled is None:
        sending = Text("sending ?", style=muted)
    elif not s.sending_enabled:
        sending = Text("SENDING PAUSED", style=style("error", True))
    elif exhausted:
        sending = Text("SENDING BLOCKED", style=style("error", True))
    else:
        sending = Text("sending", style=style("success"))
    enforcement = s.enforcement or "?"
    enf_colour = {"HEALTHY": "success", "PROBATION": "warning", "SHUTDOWN": "error"}.get(enforcement, "text-muted")
    enf = Text(enforcement, style=style(enf_colour, enforcement != "HEALTHY"))
    quota = Text.assemble(("quota ", muted), f"{count(s.sent_24h)}/{count(s.max_24h)}",
                          (" ", muted), f"{count(s.max_rate)}/s")
    if exhausted:
        quota = Text.assemble(("QUOTA USED UP ", style("error", True)), f"{count(s.sent_24h)}/{count(s.max_24h)}")
        quota.stylize(style("error", True))
    elif s.max_24h and s.max_24h > 0 and s.sent_24h is not None and s.sent_24h / s.max_24h >= 0.8:
        quota.stylize(style("warning"))

    flag = Text("")
    since = [t for t in (stale_since, s.account_ok_ms if s.account_error else None) if t is not None]
    if stale_since is not None or s.account_error:
        flag = Text.assemble(sep, (f"STALE {age(min(since), now_ms)}" if since else "STALE", style("error", True)))
    flag = Text.assemble(paused_flag(app, paused, sep), flag)
    left_room = room - flag.cell_len
    line1 = Text("")
    # Least news gives way first: the account id, then a HEALTHY status and the sending rate (the
    # account the console watches stays in front while it fits), then the profile moves last.
    quiet_enf = Text("") if enforcement == "HEALTHY" else Text.assemble(" ", enf)
    quota_short = quota if exhausted else Text.assemble(("quota ", muted), f"{count(s.sent_24h)}/{count(s.max_24h)}")
    if not exhausted and s.max_24h and s.max_24h > 0 and s.sent_24h is not None and s.sent_24h / s.max_24h >= 0.8:
        quota_short.stylize(style("warning"))
    for parts in ((where, account, sep, mode, " ", sending, " ", enf, sep, quota),
                  (where, sep, mode, " ", sending, " ", enf, sep, quota),
                  (where, sep, mode, " ", sending, quiet_enf, sep, quota_short),
                  (mode, " ", sending, " ", enf, sep, quota, sep, where)):
        line1 = Text.assemble(*parts)
        if line1.cell_len <= left_room:
            break
    line1.truncate(left_room, overflow="ellipsis")
    line1.append_text(flag)

    bounce_figure, complaint_figure, estimated = header_figures(s, reputation)
    bounce = Text.assemble(("bounce ", muted), short_figure(app, bounce_figure, "bounce"))
    complaint = Text.assemble(("complaint ", muted), short_figure(app, complaint_figure, "complaint"))
    if reputation is not None and CLOUDWATCH in (bounce_figure.source, complaint_figure.source) and (
            now_ms - (reputation.taken_ms or 0) > COLLECTOR_READING_MS):  # no collector is reading them now
        complaint.append(f" {age(reputation.taken_ms, now_ms)} old", style=style("warning"))
    rejects = Text.assemble(("rejects 24h ", muted), (count(s.rejects_24h), style("error" if s.rejects_24h else "")))
    state = feed_text(app, s.feed, now_ms, frozen)
    feed = Text.assemble(state, dlq_text(app, dlq, sep))
    window = Text(f" ({s.rates_window})", style=muted) if estimated else Text("")
    rates = Text.assemble(bounce, " ", complaint, window, " ", rejects)
    short_rates = Text.assemble(bounce, " ", complaint, " ", ("rej 24h ", muted), rejects[-len(count(s.rejects_24h)):])
    if short_rates.cell_len + 3 + feed.cell_len > room:  # least news first: an empty DLQ, the D hint, backlog 0
        feed = Text.assemble(state, dlq_text(app, dlq, sep, hint=False)) if dlq else state
        if short_rates.cell_len + 3 + feed.cell_len > room and s.feed.backlog == 0:
            state = feed_text(app, replace(s.feed, backlog=None), now_ms, frozen)
            feed = Text.assemble(state, dlq_text(app, dlq, sep, hint=False)) if dlq else state
    if rates.cell_len + 3 + feed.cell_len > room:  # the feed's state matters more than the window's name
        rates = Text.assemble(bounce, " ", complaint, " ", rejects)
    if rates.cell_len + 3 + feed.cell_len > room:  # the sources stay; the rejects' label shortens
        rates = short_rates
    if rates.cell_len + 3 + feed.cell_len > room and s.feed.state == "stopped" and s.feed.since_ms:
        # "since 01:07:19 (7m)" gives way to "7m ago" before the rejects' count is cut ("re…")
        state = Text(f"STOPPED {age(s.feed.since_ms, now_ms)} ago", style=style("warning", True))
        feed = Text.assemble(state, dlq_text(app, dlq, sep, hint=False)) if dlq else state
    rates.truncate(max(0, room - 3 - feed.cell_len), overflow="ellipsis")
    line2 = Text.assemble(rates, sep, feed)
    for line in (line1, line2):
        line.no_wrap = True
        line.overflow = "ellipsis"
        line.truncate(room, overflow="ellipsis")
    return Text("\n").join([line1, line2])


def feed_text(app: App, feed: health.Feed, now_ms: int, frozen: bool = False) -> Text:
    """LIVE (rate, backlog) / STALE (age, reason) / STOPPED (since when) / STARTING (the console's own
    collector, not yet reporting) / NO FEED (how to get one).
    `frozen` (the console paused): PAUSED in place of LIVE (the collector may still store events,
    but this console shows none of them), before any other state."""
    if frozen:
        state = Text("PAUSED", style=theme_style(app, "warning", True))
        if feed.state == "live":
            backlog = f" backlog {count(feed.backlog)}" if feed.backlog is not None else ""
            return Text.assemble(state, f" {feed.events_per_s:.1f} ev/s{backlog}")  # as long as LIVE's
        return Text.assemble(state, " ", feed_text(app, feed, now_ms))
    if feed.state == "live":
        backlog = f" backlog {count(feed.backlog)}" if feed.backlog is not None else ""
        return Text.assemble(("LIVE", theme_style(app, "success", True)), f" {feed.events_per_s:.1f} ev/s{backlog}")
    if feed.state == "stale":
        return Text.assemble((f"STALE {age(feed.since_ms, now_ms)}", theme_style(app, "error", True)), " ",
                             literal(ellipsize(safe(feed.error or "no recent receive"), 40),
                                     style=theme_style(app, "error")))
    if feed.state == "starting":  # the console's own collector, not yet checked in
        return Text.assemble(("STARTING", theme_style(app, "warning", True)), (" collector",
                                                                            theme_style(app, "text-muted")))
    if feed.state == "stopped":
        when = f" since {clock_time(feed.since_ms, now_ms)} ({age(feed.since_ms, now_ms)})" if feed.since_ms else ""
        return Text(f"STOPPED{when}", style=theme_style(app, "warning", True))
    return Text.assemble(("NO FEED", theme_style(app, "warning", True)), (" sestui setup makes one",
                                                                          theme_style(app, "text-muted")))


# -- configuration sets paused (by a guard, or by anyone): red, in room reserved like STALE's ---------

def paused_flag(app: App, names: tuple[str, ...], sep: Text) -> Text:
    """`│ SET sestui PAUSED` (`│ 3 SETS PAUSED` when several), or nothing."""
    if not names:
        return Text("")
    label = f"SET {ellipsize(safe(names[0]), 20)} PAUSED" if len(names) == 1 else f"{len(names)} SETS PAUSED"
    return Text.assemble(sep, (label, theme_style(app, "error", True)))


# -- the dead-letter queue: its depth, red when something reached it ---------------------------------

def dlq_text(app: App, depth: int | None, sep: Text, hint: bool = True) -> Text:
    """`│ DLQ 826 (D redrives)` in red, `│ dlq 0` dimmed, or nothing when there is no DLQ to read."""
    if depth is None:
        return Text("")
    if depth == 0:
        return Text.assemble(sep, ("dlq 0", theme_style(app, "text-muted")))
    return Text.assemble(sep, (f"DLQ {count(depth)}", theme_style(app, "error", True)),
                         (" (D redrives)" if hint else "", theme_style(app, "text-muted")))

"""The health header: two lines that say whether the account is fine, always visible."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sestui.core import health
from sestui.ui.text import age, count, ellipsize, literal, percent, safe
from sestui.ui.widgets.common import theme_style

LEVEL_COLOUR = {health.OK: "success", health.WARN: "warning", health.BAD: "error"}


class HealthHeader(Static):
    DEFAULT_CSS = "HealthHeader { height: 2; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }"

    def show(self, s: health.Summary, now_ms: int) -> None:
        self.update(render_health(self.app, s, now_ms, self.size.width or self.app.size.width))


def render_health(app, s: health.Summary, now_ms: int, width: int) -> Text:
    def style(colour: str, bold: bool = False):
        return theme_style(app, colour, bold)

    muted = style("text-muted")
    sep = Text(" │ ", style=muted)

    where = Text.assemble(literal(ellipsize(safe(s.profile or "default"), 24), style=style("", True)), " ",
                          literal(s.region or "?"))
    account = Text.assemble(" ", (s.account, muted)) if s.account else Text("")
    if s.production is None:
        mode = Text("account ?", style=muted)
    elif s.production:
        mode = Text("PRODUCTION", style=style("success", True))
    else:
        mode = Text("SANDBOX", style=style("warning", True))
    if s.sending_enabled is None:
        sending = Text("sending ?", style=muted)
    else:
        sending = Text("sending" if s.sending_enabled else "SENDING PAUSED",
                       style=style("success" if s.sending_enabled else "error", not s.sending_enabled))
    enforcement = s.enforcement or "?"
    enf_colour = {"HEALTHY": "success", "PROBATION": "warning", "SHUTDOWN": "error"}.get(enforcement, "text-muted")
    enf = Text(enforcement, style=style(enf_colour, enforcement != "HEALTHY"))
    quota = Text.assemble(("quota ", muted), f"{count(s.sent_24h)}/{count(s.max_24h)}",
                          (" ", muted), f"{count(s.max_rate)}/s")
    if s.max_24h and s.max_24h > 0 and s.sent_24h is not None and s.sent_24h / s.max_24h >= 0.8:
        quota.stylize(style("warning"))

    line1 = Text.assemble(where, account, sep, mode, " ", sending, " ", enf, sep, quota)
    if line1.cell_len > width - 2:  # the account id is the first thing to give up at 80 columns
        line1 = Text.assemble(where, sep, mode, " ", sending, " ", enf, sep, quota)
    if s.account_error:
        stale = Text.assemble(sep, (f"STALE {age(s.account_ok_ms, now_ms)}", style("error", True)), " ",
                              literal(s.account_error, style=style("error")))
        line1.append_text(stale)

    r = s.rates
    bounce = Text.assemble(("bounce ", muted), (percent(r.bounce_rate), style(LEVEL_COLOUR[r.bounce_level], r.bounce_level != "ok")))
    complaint = Text.assemble(("complaint ", muted),
                              (percent(r.complaint_rate, 3), style(LEVEL_COLOUR[r.complaint_level], r.complaint_level != "ok")))
    rejects = Text.assemble(("rejects 24h ", muted), (count(s.rejects_24h), style("error" if s.rejects_24h else "")))
    feed = _feed(app, s.feed, now_ms)
    line2 = Text.assemble(bounce, " ", complaint, (f" ({s.rates_window})", muted), " ", rejects, sep, feed)
    for line in (line1, line2):
        line.no_wrap = True
        line.overflow = "ellipsis"
        line.truncate(max(10, width - 2), overflow="ellipsis")
    return Text("\n").join([line1, line2])


def _feed(app, feed: health.Feed, now_ms: int) -> Text:
    if feed.state == "live":
        backlog = f" backlog {count(feed.backlog)}" if feed.backlog is not None else ""
        return Text.assemble(("LIVE", theme_style(app, "success", True)), f" {feed.events_per_s:.1f} ev/s{backlog}")
    if feed.state == "stale":
        return Text.assemble((f"STALE {age(feed.since_ms, now_ms)}", theme_style(app, "error", True)), " ",
                             literal(feed.error or "", style=theme_style(app, "error")))
    if feed.state == "stopped":
        return Text("collector stopped", style=theme_style(app, "warning"))
    return Text("no queue", style=theme_style(app, "text-muted"))

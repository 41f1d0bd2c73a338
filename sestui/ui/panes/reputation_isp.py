"""The reputation pane's per-ISP view (`i`): AWS's own counts per recipient mailbox provider for
the account or the configuration set under the table's cursor, from Virtual Deliverability
Manager (SESv2 BatchGetMetricData) over the pane's 14 days, busiest ISP first, the ISPs SES does
not name as one "other ISPs" row. VDM is optional and billed: when it is off the view says so and
how to turn it on. A complaint rate needs an ISP that reports complaints (a feedback loop): Gmail
does not, so its rate is "no FBL", never a reassuring 0.

VDM's figures are daily: they are read again only after EVERY_S, per scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from rich.text import Text

from sestui.aws import AwsError, ErrorKind
from sestui.aws.vdm import BATCH_ACTION, ENABLE_COMMAND, OTHER, IspFigures
from sestui.ui.text import count, ellipsize, safe
from sestui.ui.widgets.common import theme_style
from sestui.ui.widgets.rates import percent_of, rate_style

EVERY_S = 900
MIN_VOLUME = 20  # below it a rate is shown but not coloured
# (header, width, right-aligned)
COLUMNS = (("ISP", 14, False), ("Sends", 8, True), ("Deliv", 8, True), ("Bnc", 6, True), ("Bnc%", 7, True),
           ("Soft", 6, True), ("Cmp", 5, True), ("Cmp%", 8, True))


@dataclass
class IspView:
    """One scope's reading. `enabled` None: whether VDM is on is not known (no AWS, or an error)."""

    scope: str | None
    enabled: bool | None
    rows: list[IspFigures] = field(default_factory=list)
    error: str | None = None
    taken_s: float = 0.0


def load_isp(ctx, scope: str | None, start_ms: int, cached: IspView | None, now_s: float) -> IspView:
    """The view of `scope` (None: the account), from AWS unless `cached` is recent (runs in a worker)."""
    if cached is not None and cached.scope == scope and now_s - cached.taken_s < EVERY_S:
        return cached
    if ctx.aws is None:
        return IspView(scope, None, error="no AWS connection: VDM's figures come from AWS", taken_s=now_s)
    start = datetime.fromtimestamp(start_ms / 1000, UTC)
    end = datetime.fromtimestamp(ctx.now_ms() / 1000, UTC)
    try:
        if not ctx.aws.vdm.state().enabled:
            return IspView(scope, False, taken_s=now_s)
        rows = ctx.aws.vdm.by_isp(start, end, configuration_set=scope)
    except AwsError as exc:
        denied = exc.kind == ErrorKind.DENIED and "BatchGetMetricData" not in str(exc)
        return IspView(scope, None, error=f"{exc} (needs {BATCH_ACTION})" if denied else str(exc), taken_s=now_s)
    return IspView(scope, rows is not None, rows or [], taken_s=now_s)


def render_isp(app, view: IspView | None, label: str, width: int) -> Text:
    """The view as the pane's body: a title line, then the table or what to do."""
    muted, bold = theme_style(app, "text-muted"), theme_style(app, "", True)
    title = Text.assemble(("Per ISP ", bold), ("of ", muted), (ellipsize(safe(label), 24), bold),
                          ("  VDM, last 14 days  i: chart", muted), no_wrap=True, overflow="ellipsis", end="")
    title.truncate(width)
    lines = [title]
    if view is None:
        lines.append(Text("Loading VDM's figures…", style=muted, end=""))
    elif view.error:
        lines.append(Text(ellipsize(f"VDM: {safe(view.error)}", width), style=theme_style(app, "warning"), end=""))
    elif view.enabled is False:
        lines += [Text(ellipsize(line, width), style=style, end="") for line, style in (
            ("Virtual Deliverability Manager is off for this account: no rates per ISP.", theme_style(app, "warning")),
            ("Turn it on (billed; it counts from then on, single-recipient mail only):", muted),
            (f"  {ENABLE_COMMAND}", bold),
            ("  or in the SES console: Virtual Deliverability Manager.", muted))]
    elif not view.rows:
        lines.append(Text("VDM is on; it has counted no mail for this scope in these 14 days.", style=muted, end=""))
    else:
        lines.append(_header(app, width))
        lines += [_row(app, figures, width) for figures in view.rows]
        if any(_no_feedback_loop(f) for f in view.rows):
            lines.append(Text(ellipsize("no FBL: the ISP reports no complaints to SES (Gmail does not): its "
                                        "complaint rate is not known", width), style=muted, end=""))
    return Text("\n", end="").join(lines)


def _no_feedback_loop(figures: IspFigures) -> bool:
    """Mail delivered, yet none of it to an inbox that reports complaints."""
    return figures.isp != OTHER and bool(figures.counts.get("DELIVERY")) and not figures.counts.get("DELIVERY_COMPLAINT")


def _header(app, width: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", end="", style=theme_style(app, "text-muted", True))
    for name, size, right in COLUMNS:
        text.append((name.rjust(size) if right else name.ljust(size)) + " ")
    text.truncate(width)
    return text


def _row(app, figures: IspFigures, width: int) -> Text:
    counts = figures.counts
    big_enough = figures.sends >= MIN_VOLUME
    bounce, complaint = figures.bounce_rate, figures.complaint_rate
    no_fbl = _no_feedback_loop(figures)
    error = theme_style(app, "error")
    cells = [
        (ellipsize(figures.isp, COLUMNS[0][1]), theme_style(app, "text-muted") if figures.isp == OTHER else ""),
        (count(figures.sends), ""),
        (count(counts.get("DELIVERY", 0)), ""),
        (count(counts.get("PERMANENT_BOUNCE", 0)), error if counts.get("PERMANENT_BOUNCE") else ""),
        (percent_of(bounce, "bounce"), rate_style(app, bounce, "bounce", coloured=big_enough)),
        (count(counts.get("TRANSIENT_BOUNCE", 0)), ""),
        (count(counts.get("COMPLAINT", 0)), error if counts.get("COMPLAINT") else ""),
        ("no FBL" if no_fbl else percent_of(complaint, "complaint"),
         theme_style(app, "text-muted") if no_fbl else rate_style(app, complaint, "complaint", coloured=big_enough)),
    ]
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    for (value, style), (_, size, right) in zip(cells, COLUMNS, strict=True):
        text.append((value.rjust(size) if right else value.ljust(size)) + " ", style=style)
    text.truncate(width)
    return text

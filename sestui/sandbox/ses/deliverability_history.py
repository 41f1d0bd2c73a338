"""A VDM past for the demo account: VDM on, and the daily counts it would hold per ISP for the
days of the demo's history, so the console's per-ISP view has a story: the "marketing" set's
mail to Hotmail bounces several times as much as the rest, rising toward the end; Gmail has the
volume and reports no complaints (no feedback loop); the mail at domains SES names no ISP for
lands in its catch-all."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from .deliverability_metrics import NO_FEEDBACK_LOOP, UNKNOWN_ISP, DeliverabilityMetrics

# ISP -> (share of the mail, hard-bounce rate, complaint rate of delivered mail)
PROFILES = {"Gmail": (0.45, 0.008, 0.0), "Hotmail": (0.2, 0.025, 0.0015), "Yahoo": (0.12, 0.012, 0.0008),
            "Icloud": (0.08, 0.005, 0.0003), "Aol": (0.03, 0.06, 0.002), UNKNOWN_ISP: (0.12, 0.015, 0.0005)}
# configuration set -> messages a day (single-recipient mail VDM counts), and how much worse its
# Hotmail bounces are by the last day
SETS = {"sestui-default": (900, 1.0), "marketing": (500, 4.0)}


def backfill_vdm(vdm: DeliverabilityMetrics, identity: str, now: float, days: int, seed: int | None) -> None:
    rng = random.Random(None if seed is None else seed + 13)
    vdm.put_attributes({"VdmEnabled": "ENABLED", "DashboardAttributes": {"EngagementMetrics": "ENABLED"}})
    today = datetime.fromtimestamp(now, UTC).date()
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        progress = (days - back) / max(1, days - 1)
        for configuration_set, (volume, worse) in SETS.items():
            for isp, (share, bounce, complaint) in PROFILES.items():
                if isp == "Hotmail":
                    bounce *= 1 + (worse - 1) * progress
                sends = max(0, round(rng.gauss(volume * share, volume * share * 0.1)))
                bounced = binomial(rng, sends, bounce)
                delivered = sends - bounced
                counts = {"SEND": sends, "DELIVERY": delivered, "PERMANENT_BOUNCE": bounced,
                          "TRANSIENT_BOUNCE": binomial(rng, sends, 0.004),
                          "DELIVERY_COMPLAINT": 0 if isp in NO_FEEDBACK_LOOP else delivered,
                          "COMPLAINT": 0 if isp in NO_FEEDBACK_LOOP else binomial(rng, delivered, complaint)}
                for metric, n in counts.items():
                    if n:
                        vdm.add(day, metric, identity, configuration_set, isp, n)


def binomial(rng: random.Random, n: int, p: float) -> int:
    """How many of `n` trials succeed at `p` (random.binomialvariate from Python 3.12 on)."""
    return sum(1 for _ in range(n) if rng.random() < p)

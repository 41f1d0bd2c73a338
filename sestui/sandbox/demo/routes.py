"""The demo's rules and guards: the config-file tables `sestui demo` runs with, so that the whole
loop shows without any setup.

- `unsubscribe-complainers`: a complaint takes the person off the newsletter contact list
  (UpdateContact UnsubscribeAll; the sandbox then publishes the Subscription event);
- `feedback-to-app`: bounces and complaints are POSTed, signed, to the application's webhook
  (a receiver the demo runs on 127.0.0.1, receiver.py);
- `marketing-complaints`: a guard on the "marketing" set's complaint rate, as sestui counts it
  over the last 15 minutes: it warns the application at 1% and pauses the set at 3%. The
  traffic's bought list (traffic.BOUGHT_LIST, after its first few minutes) takes the set to about
  10%, and the guard pauses it a minute or two later.

Plain data (the sandbox imports nothing of sestui); cli/demo.py writes it into the demo's config.
"""

from __future__ import annotations

from .scenarios import CONTACT_LIST
from .starter_wiring import MARKETING_SET

WEBHOOK_SECRET_ENV = "SESTUI_DEMO_WEBHOOK_SECRET"
GUARD = "marketing-complaints"
WARN_LEVEL, PAUSE_LEVEL = 0.01, 0.03
WINDOW_S, MIN_VOLUME = 900, 40


def tables(webhook_url: str, secret_env: str = WEBHOOK_SECRET_ENV) -> dict:
    """[[rules]] and [[guards]] for a webhook receiver at `webhook_url` whose secret is in `secret_env`."""
    webhook = {"action": "webhook", "url": webhook_url, "secret_env": secret_env, "timeout": 5}
    return {
        "rules": [
            {"name": "unsubscribe-complainers", "mode": "on", "when": {"event_types": ["complaint"]},
             "do": [{"action": "contact_list", "contact_list": CONTACT_LIST}]},
            {"name": "feedback-to-app", "mode": "on", "when": {"event_types": ["bounce", "complaint"]},
             "do": [dict(webhook)]},
        ],
        "guards": [
            {"name": GUARD, "metric": "complaint_rate", "source": "local", "configuration_set": MARKETING_SET,
             "window": WINDOW_S, "min_volume": MIN_VOLUME,
             "warn": {"level": WARN_LEVEL, "do": [dict(webhook)]},
             "pause": {"level": PAUSE_LEVEL, "do": [{"action": "pause_sending"}, dict(webhook)]}},
        ],
    }

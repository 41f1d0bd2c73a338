"""The options of `sestui sandbox` (the foreground runner), as a typed value.

Pure data, cheap to import: the CLI builds one from its flags and hands it to `run_sandbox`.
"""

from __future__ import annotations

from dataclasses import dataclass

ENFORCEMENT_CHOICES = ("HEALTHY", "PROBATION", "SHUTDOWN")


@dataclass(frozen=True)
class SandboxOptions:
    """One field per `sestui sandbox` flag; the defaults are the flags' defaults."""

    port: int = 0  # 0: a free port
    rate: float = 0.0  # generated messages per second
    bare: bool = False  # an empty account: no identity, topic, queue or configuration set
    production: bool = True  # production access; False: the account is in the SES sandbox
    sending_paused: bool = False
    enforcement: str = "HEALTHY"
    max_send_rate: float | None = None  # None: 14, or twice the rate (production); 1 in the SES sandbox
    max_24h_send: float | None = None  # None: 50000 or more for the rate (production); 200 in the SES sandbox
    delay_scale: float = 1.0  # multiplies simulated delays (0: instant)
    seed: int | None = None  # repeatable simulated outcomes
    history: int = 0  # days of past sending statistics and suppressed addresses
    region: str = "us-east-1"

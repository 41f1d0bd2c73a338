"""The embedded local AWS of `sestui sandbox`, `sestui demo` and the tests (the `demo` extra).

moto's server provides SQS and SNS; a gateway in front of it provides what SES needs and moto
lacks (SESv2 account and suppression list, configuration-set event publishing, quotas and
statistics) and a faithful mailbox simulator whose records carry the MessageId of the send.

    from sestui.sandbox import Sandbox
    with Sandbox(delay_scale=0.05) as sandbox:
        info = sandbox.info   # endpoint_url, region, queue_url, topic_arn, identity, configuration_set

    from sestui.sandbox import SandboxOptions, run_sandbox
    run_sandbox(SandboxOptions(port=4566, rate=2))   # `sestui sandbox`: serves until SIGINT/SIGTERM

Layout: `http/` (the gateway in front of moto, wire protocols, faults, the control route), `ses/`
(the SES model: account, quotas, suppression, simulator, records, the operations answered here),
`demo/` (the ready-made wiring, traffic, history, the foreground runner). The sandbox imports
nothing of sestui outside this package. `SandboxOptions` costs nothing to import; everything else
loads moto, so it is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .options import SandboxOptions

if TYPE_CHECKING:
    from .local_aws import Sandbox, SandboxError, SandboxInfo
    from .ses.mailbox_simulator import Engagement
    from .ses.settings import AccountSettings

_LAZY = {
    "Sandbox": ".local_aws",
    "SandboxError": ".local_aws",
    "SandboxInfo": ".local_aws",
    "AccountSettings": ".ses.settings",
    "Engagement": ".ses.mailbox_simulator",
}

__all__ = ["AccountSettings", "Engagement", "Sandbox", "SandboxError", "SandboxInfo", "SandboxOptions", "run_sandbox"]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def run_sandbox(options: SandboxOptions) -> int:
    """`sestui sandbox`: start, print the info JSON line, serve until SIGINT/SIGTERM; returns 0."""
    from .demo.runner import run_sandbox as run

    return run(options)

"""The embedded local AWS of `sestui sandbox`, `sestui demo` and the tests (the `demo` extra).

moto's server provides SQS and SNS; a gateway in front of it provides what SES needs and moto
lacks (SESv2 account and suppression list, configuration-set event publishing, quotas and
statistics) and a faithful mailbox simulator whose records carry the MessageId of the send.

    from sestui.sandbox import Sandbox
    with Sandbox(delay_scale=0.05) as sandbox:
        info = sandbox.info   # endpoint_url, region, queue_url, topic_arn, identity, configuration_set
"""

from .account import AccountSettings
from .sandbox import Sandbox, SandboxError, SandboxInfo
from .simulator import Engagement

__all__ = ["AccountSettings", "Engagement", "Sandbox", "SandboxError", "SandboxInfo"]

"""The SES account's settings: production access, sending, enforcement, quotas, suppression."""

from __future__ import annotations

from dataclasses import dataclass, fields

ENFORCEMENT_STATUSES = ("HEALTHY", "PROBATION", "SHUTDOWN")
# The IAM user the sandbox pretends every caller is (records' callerIdentity, AccessDenied messages).
CALLER_IDENTITY = "sestui-sandbox"
SUPPRESSION_REASONS = ("BOUNCE", "COMPLAINT")
# The quotas of an account in the SES sandbox.
SES_SANDBOX_24_HOUR_SEND = 200.0
SES_SANDBOX_SEND_RATE = 1.0


@dataclass
class AccountSettings:
    """What GetAccount reports and sends obey. Mutable while the sandbox runs, so that every
    state the console shows (sandbox mode, paused, probation, quota nearly used) can be staged.

    The defaults are those of a production account that left the SES sandbox recently.
    """

    production_access_enabled: bool = True
    sending_enabled: bool = True
    enforcement_status: str = "HEALTHY"
    max_24_hour_send: float = 50000.0  # -1 means unlimited
    max_send_rate: float = 14.0
    suppressed_reasons: tuple[str, ...] = SUPPRESSION_REASONS
    # Real SES refuses PutSuppressedDestination and CreateImportJob while the account is in the
    # SES sandbox; clear this to allow them anyway (trying things out).
    refuse_suppression_edits_in_sandbox: bool = True

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.enforcement_status not in ENFORCEMENT_STATUSES:
            raise ValueError(f"enforcement_status must be one of {', '.join(ENFORCEMENT_STATUSES)}")
        if self.max_send_rate <= 0:
            raise ValueError("max_send_rate must be positive")
        if self.max_24_hour_send < 0 and self.max_24_hour_send != -1:
            raise ValueError("max_24_hour_send must be -1 (unlimited) or at least 0")
        unknown = set(self.suppressed_reasons) - set(SUPPRESSION_REASONS)
        if unknown:
            raise ValueError(f"unknown suppressed reasons: {', '.join(sorted(unknown))}")

    def update(self, **changes) -> None:
        """Change several settings at once, all or nothing."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown account settings: {', '.join(sorted(unknown))}")
        candidate = AccountSettings(**{**self.as_dict(), **changes})
        for name in changes:
            setattr(self, name, getattr(candidate, name))

    @classmethod
    def in_ses_sandbox(cls, **changes) -> AccountSettings:
        """A new account, still in the SES sandbox: 200 messages per 24 hours, 1 per second."""
        return cls(**{"production_access_enabled": False, "max_24_hour_send": SES_SANDBOX_24_HOUR_SEND,
                      "max_send_rate": SES_SANDBOX_SEND_RATE, **changes})

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def sending_paused(self) -> bool:
        return not self.sending_enabled or self.enforcement_status == "SHUTDOWN"

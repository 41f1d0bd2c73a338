"""Identities as both API versions describe them, from one state: verification, feedback
forwarding (v1 ForwardingEnabled is v2 FeedbackForwardingStatus), tags, and DKIM.

The v1 reads of identity attributes take at most 100 identities a request (each operation's
documentation in the SES API reference); more are refused with InvalidParameterValue (the
wording is the sandbox's: AWS does not document it).

The sandbox's DKIM: a verified domain identity signs with Easy DKIM (status SUCCESS, three CNAME
tokens); an address identity inherits its domain's; anything else has not started.
"""

from __future__ import annotations

import base64
import hashlib

from ...http.protocol import ApiError, Call
from ..regional_account import SesAccount
from .registry import email_identity, handles


def dkim(account: SesAccount, name: str) -> tuple[bool, list[str]]:
    """(signing enabled, the domain's tokens) for an identity name."""
    domain = name.rpartition("@")[2].lower()
    if not account.identity_exists(domain):
        return False, []
    digest = hashlib.sha256(f"sestui-dkim:{domain}".encode()).digest()
    tokens = [base64.b32encode(digest[i * 10:(i + 1) * 10] + digest[:10]).decode().lower()[:32] for i in range(3)]
    return True, tokens if "@" not in name else []


@handles("sesv2", "GetEmailIdentity")
def get_email_identity(account: SesAccount, call: Call, p: dict) -> dict:
    identity = email_identity(account, p.get("EmailIdentity", ""))
    name = identity.email_identity
    with account.lock:
        settings = account.notifications.get(name.lower())
        forwarding = settings.forwarding_enabled if settings else True
    enabled, tokens = dkim(account, name)
    dkim_attributes: dict = {"SigningEnabled": enabled, "Status": "SUCCESS" if enabled else "NOT_STARTED",
                             "SigningAttributesOrigin": "AWS_SES", "NextSigningKeyLength": "RSA_2048_BIT"}
    if enabled:
        dkim_attributes["CurrentSigningKeyLength"] = "RSA_2048_BIT"
    if tokens:
        dkim_attributes["Tokens"] = tokens
    result = {
        "IdentityType": identity.identity_type,
        "FeedbackForwardingStatus": forwarding,
        "VerifiedForSendingStatus": identity.verification_status == "SUCCESS",
        "DkimAttributes": dkim_attributes,
        "Policies": dict(identity.policies or {}),
        "Tags": list(identity.tags or []),
        "VerificationStatus": identity.verification_status,
    }
    if identity.configuration_set_name:
        result["ConfigurationSetName"] = identity.configuration_set_name
    return result


MAX_IDENTITIES = 100


def identities(p: dict) -> list[str]:
    """A v1 attributes read's Identities, refused when there are more than SES takes at once."""
    names = list(p.get("Identities") or [])
    if len(names) > MAX_IDENTITIES:
        raise ApiError("InvalidParameterValue", f"Too many identities: {len(names)}; a request takes at most "
                                                f"{MAX_IDENTITIES}.")
    return names


@handles("ses", "GetIdentityVerificationAttributes")
def check_identities_read(account: SesAccount, call: Call, p: dict) -> None:
    identities(p)
    return None  # moto answers


@handles("ses", "GetIdentityDkimAttributes")
def get_identity_dkim_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    attributes = {}
    for name in identities(p):
        enabled, tokens = dkim(account, name) if account.identity_exists(name) else (False, [])
        entry: dict = {"DkimEnabled": enabled, "DkimVerificationStatus": "Success" if enabled else "NotStarted"}
        if tokens:
            entry["DkimTokens"] = tokens
        attributes[name] = entry
    return {"DkimAttributes": attributes}

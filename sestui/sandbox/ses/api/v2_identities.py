"""SESv2 (REST-JSON): email identities."""

from __future__ import annotations

from ...http.protocol import ApiError, Call
from ..regional_account import SesAccount
from .registry import configuration_set, email_identity, handles, remove_identity


@handles("sesv2", "PutEmailIdentityConfigurationSetAttributes")
def put_email_identity_configuration_set(account: SesAccount, call: Call, p: dict) -> dict:
    identity = email_identity(account, p.get("EmailIdentity", ""))
    identity.configuration_set_name = configuration_set(account, p) if p.get("ConfigurationSetName") else None
    return {}


@handles("sesv2", "DeleteEmailIdentity")
def delete_email_identity(account: SesAccount, call: Call, p: dict) -> dict:
    name = p.get("EmailIdentity", "")
    if not remove_identity(account, name):
        raise ApiError("NotFoundException", f"Email identity <{name}> does not exist.")
    return {}

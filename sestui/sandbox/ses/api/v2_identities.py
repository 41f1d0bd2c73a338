"""SESv2 (REST-JSON): email identities."""

from __future__ import annotations

from ...http.protocol import ApiError, Call
from ..regional_account import SesAccount
from .registry import (
    configuration_set,
    email_identity,
    handles,
    remove_identity,
    v2_page,
)


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


@handles("sesv2", "ListEmailIdentities")
def list_email_identities(account: SesAccount, call: Call, p: dict) -> dict:
    identities = dict(account.moto.email_identities)
    names, token = v2_page(list(identities), p, sizes=(0, 1000))  # "at least 0", its reference says
    summaries = [{
        "IdentityType": identities[n].identity_type,
        "IdentityName": n,
        "SendingEnabled": bool(identities[n].sending_enabled),
        "VerificationStatus": identities[n].verification_status,
    } for n in names]
    return {"EmailIdentities": summaries, **({"NextToken": token} if token else {})}

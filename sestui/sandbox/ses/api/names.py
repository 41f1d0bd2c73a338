"""Names SES refuses at creation, which moto took as given: a configuration set or event
destination name beyond "up to 64 letters, numbers, hyphens and underscores" (the name's
documentation in both API references), an identity that is neither an email address nor a
domain name, and (SESv2 CreateEmailIdentity) an identity that exists already. moto then creates
what passes (each handler returns None)."""

from __future__ import annotations

import re

from ...http.protocol import ApiError, Call
from ..regional_account import SesAccount
from ..suppression_list import is_email_address
from .registry import handles

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
NAME_RULE = "The name can contain up to 64 alphanumeric characters, including letters, numbers, hyphens (-) and " \
            "underscores (_) only."


def is_domain(text: str) -> bool:
    return bool(_DOMAIN.match(text))


def check_name(kind: str, name, code: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ApiError(code, f"Invalid {kind} name <{name}>. {NAME_RULE}")


@handles("ses", "CreateConfigurationSet")
def create_configuration_set_v1(account: SesAccount, call: Call, p: dict) -> None:
    check_name("configuration set", (p.get("ConfigurationSet") or {}).get("Name", ""), "InvalidConfigurationSet")
    return None


@handles("ses", "VerifyEmailIdentity")
def verify_email_identity(account: SesAccount, call: Call, p: dict) -> None:
    address = p.get("EmailAddress", "")
    if not is_email_address(address):
        raise ApiError("InvalidParameterValue", f"Invalid email address<{address}>.")
    return None


@handles("ses", "VerifyDomainIdentity")
def verify_domain_identity(account: SesAccount, call: Call, p: dict) -> None:
    domain = p.get("Domain", "")
    if not is_domain(domain):
        raise ApiError("InvalidParameterValue", f"Invalid domain name <{domain}>.")
    return None


@handles("sesv2", "CreateEmailIdentity")
def create_email_identity(account: SesAccount, call: Call, p: dict) -> None:
    name = p.get("EmailIdentity", "")
    if not (is_email_address(name) if "@" in name else is_domain(name)):
        raise ApiError("BadRequestException", f"Invalid email identity <{name}>: neither an email address nor a "
                                              "domain name.")
    if account.identity_exists(name):
        raise ApiError("AlreadyExistsException", f"Email identity <{name}> already exists.")
    return None

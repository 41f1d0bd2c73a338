"""SESv2 (REST-JSON): the account-level suppression list."""

from __future__ import annotations

from datetime import UTC, datetime

from ...http.protocol import ApiError, Call
from ...http.unsupported import unsupported
from ..regional_account import SesAccount
from ..settings import SUPPRESSION_REASONS
from ..next_token import BadToken
from ..suppression_list import MAX_PAGE_SIZE, Suppressed, is_email_address
from .registry import handles, now


@handles("sesv2", "PutAccountSuppressionAttributes")
def put_account_suppression_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    reasons = p.get("SuppressedReasons", [])
    for reason in reasons:
        _check_reason(reason)
    account.settings.suppressed_reasons = tuple(dict.fromkeys(reasons))
    return {}


def _check_reason(reason) -> str:
    if reason not in SUPPRESSION_REASONS:
        raise ApiError("BadRequestException",
                       f"Invalid reason: {reason}. The reason must be one of {', '.join(SUPPRESSION_REASONS)}.")
    return reason


def _check_address(address) -> str:
    if not isinstance(address, str) or not is_email_address(address):
        raise ApiError("BadRequestException", f"Invalid email address: {address}.")
    return address


def _not_on_list(address: str) -> ApiError:
    return ApiError("NotFoundException", f"Email address {address} does not exist on your suppression list.")


@handles("sesv2", "PutSuppressedDestination")
def put_suppressed_destination(account: SesAccount, call: Call, p: dict) -> dict:
    address, reason = _check_address(p.get("EmailAddress")), _check_reason(p.get("Reason"))
    _refuse_in_ses_sandbox(account)
    account.suppression.put(Suppressed(address, reason, now()))
    return {}


@handles("sesv2", "GetSuppressedDestination")
def get_suppressed_destination(account: SesAccount, call: Call, p: dict) -> dict:
    address = _check_address(p.get("EmailAddress"))
    entry = account.suppression.get(address)
    if entry is None:
        raise _not_on_list(address)
    attributes = {k: v for k, v in (("MessageId", entry.message_id), ("FeedbackId", entry.feedback_id)) if v}
    destination = {"EmailAddress": entry.email_address, "Reason": entry.reason, "LastUpdateTime": entry.last_update_time}
    if attributes:
        destination["Attributes"] = attributes
    return {"SuppressedDestination": destination}


@handles("sesv2", "DeleteSuppressedDestination")
def delete_suppressed_destination(account: SesAccount, call: Call, p: dict) -> dict:
    address = _check_address(p.get("EmailAddress"))
    if not account.suppression.delete(address):
        raise _not_on_list(address)
    return {}


@handles("sesv2", "ListSuppressedDestinations")
def list_suppressed_destinations(account: SesAccount, call: Call, p: dict) -> dict:
    size = p.get("PageSize", MAX_PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError("BadRequestException", f"PageSize must be between 1 and {MAX_PAGE_SIZE}.")
    reasons = [_check_reason(r) for r in p.get("Reasons", [])]
    start, end = (_aware(p.get(k)) for k in ("StartDate", "EndDate"))
    try:
        entries, token = account.suppression.page(reasons=reasons, start=start, end=end,
                                                  token=p.get("NextToken"), size=size)
    except BadToken:
        raise ApiError("InvalidNextTokenException", "The specified NextToken is invalid or expired.") from None
    result: dict = {"SuppressedDestinationSummaries": [
        {"EmailAddress": e.email_address, "Reason": e.reason, "LastUpdateTime": e.last_update_time} for e in entries
    ]}
    if token:
        result["NextToken"] = token
    return result


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _refuse_in_ses_sandbox(account: SesAccount) -> None:
    settings = account.settings
    if settings.refuse_suppression_edits_in_sandbox and not settings.production_access_enabled:
        # Real SES refuses this in the SES sandbox; its exact wording is not documented.
        raise ApiError("BadRequestException", "Your account is in the Amazon SES sandbox. Request production "
                                              "access to manage the suppression list for your account.")


@handles("sesv2", "CreateImportJob")
def create_import_job(account: SesAccount, call: Call, p: dict) -> dict:
    _refuse_in_ses_sandbox(account)
    # Importing reads an S3 object, which the sandbox does not serve.
    raise unsupported(call)

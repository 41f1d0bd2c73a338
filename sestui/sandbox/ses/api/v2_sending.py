"""SESv2 (REST-JSON): sending and the account."""

from __future__ import annotations

import time

from ...http.protocol import ApiError, Call
from ..outbound_mail import raw_mail
from ..regional_account import SesAccount
from .registry import V2_REFUSALS, accept, handles, message_tags, now, simple_message
from .v2_templates import templated_mail


@handles("sesv2", "SendEmail")
def send_email_v2(account: SesAccount, call: Call, p: dict) -> dict:
    content, destination = p.get("Content", {}), p.get("Destination", {})
    tags = message_tags(p.get("EmailTags"))
    if "Raw" in content:
        mail = raw_mail(
            when=now(),
            data=content["Raw"].get("Data", b""),
            source=p.get("FromEmailAddress"),
            destinations=[a for key in ("ToAddresses", "CcAddresses", "BccAddresses")
                          for a in destination.get(key, [])],
            configuration_set=p.get("ConfigurationSetName"),
            tags=tags,
        )
    elif "Simple" in content:
        if not p.get("FromEmailAddress"):
            raise ApiError("BadRequestException", "Missing required parameter FromEmailAddress.")
        mail = simple_message(p["FromEmailAddress"], destination, content["Simple"], p, tags)
    elif "Template" in content:
        if not p.get("FromEmailAddress"):
            raise ApiError("BadRequestException", "Missing required parameter FromEmailAddress.")
        template = content["Template"]
        name = template.get("TemplateName") or str(template.get("TemplateArn", "")).rpartition("/")[2]
        mail = templated_mail(
            account, name=name, data=template.get("TemplateData"), v1=False, source=p["FromEmailAddress"],
            to=destination.get("ToAddresses", []), cc=destination.get("CcAddresses", []),
            bcc=destination.get("BccAddresses", []), reply_to=p.get("ReplyToAddresses", []),
            configuration_set=p.get("ConfigurationSetName"), tags=tags,
        )
    else:
        raise ApiError("BadRequestException", "Content needs one of Simple, Raw or Template.")
    mail.list_management = p.get("ListManagementOptions")
    list_name = (mail.list_management or {}).get("ContactListName")
    if list_name and list_name not in account.moto.contacts_lists:  # SendEmail's NotFoundException
        raise ApiError("NotFoundException", f"List with name: {list_name} doesn't exist.")
    return accept(account, call, mail, V2_REFUSALS)


@handles("sesv2", "GetAccount")
def get_account(account: SesAccount, call: Call, p: dict) -> dict:
    settings = account.settings
    result = {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": settings.enforcement_status,
        "ProductionAccessEnabled": settings.production_access_enabled,
        "SendingEnabled": not settings.sending_paused,
        "SendQuota": {
            "Max24HourSend": settings.max_24_hour_send,
            "MaxSendRate": settings.max_send_rate,
            "SentLast24Hours": account.ledger.sent_last_24_hours(time.time()),
        },
        "SuppressionAttributes": {"SuppressedReasons": list(settings.suppressed_reasons)},
        "VdmAttributes": dict(account.vdm.attributes),
    }
    if settings.production_access_enabled:
        result["Details"] = {
            "MailType": "TRANSACTIONAL",
            "WebsiteURL": "https://www.example.com",
            "ContactLanguage": "EN",
            "UseCaseDescription": "Receipts, password resets and account notices (sestui sandbox).",
            "AdditionalContactEmailAddresses": [],
            "ReviewDetails": {"Status": "GRANTED", "CaseId": f"{account.account_id[-6:]}-sandbox"},
        }
    return result


@handles("sesv2", "PutAccountSendingAttributes")
def put_account_sending_attributes(account: SesAccount, call: Call, p: dict) -> dict:
    account.settings.sending_enabled = bool(p.get("SendingEnabled", False))
    return {}

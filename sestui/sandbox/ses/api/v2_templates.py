"""Email templates: SESv2 CreateEmailTemplate and friends, over the store v1 CreateTemplate uses."""

from __future__ import annotations

from ...http.protocol import ApiError, Call
from ..outbound_mail import OutboundMail, simple_mail
from ..regional_account import SesAccount
from ..templates import RenderingFailure, render, store, stored
from .registry import V1_REFUSALS, accept, handles, message_tags, now, v2_page


def _template(account: SesAccount, name: str) -> dict:
    template = stored(account.moto.templates, name)
    if template is None:
        raise ApiError("NotFoundException", f"Template {name} does not exist.")
    return template


@handles("sesv2", "CreateEmailTemplate")
def create_email_template(account: SesAccount, call: Call, p: dict) -> dict:
    name, content = p.get("TemplateName", ""), p.get("TemplateContent") or {}
    if not name:
        raise ApiError("BadRequestException", "TemplateName is required.")
    with account.lock:
        if stored(account.moto.templates, name) is not None:
            raise ApiError("AlreadyExistsException", f"Template {name} already exists.")
        store(account.moto.templates, name, content.get("Subject"), content.get("Text"), content.get("Html"))
    return {}


@handles("sesv2", "UpdateEmailTemplate")
def update_email_template(account: SesAccount, call: Call, p: dict) -> dict:
    name, content = p.get("TemplateName", ""), p.get("TemplateContent") or {}
    with account.lock:
        _template(account, name)
        store(account.moto.templates, name, content.get("Subject"), content.get("Text"), content.get("Html"))
    return {}


@handles("sesv2", "GetEmailTemplate")
def get_email_template(account: SesAccount, call: Call, p: dict) -> dict:
    template = _template(account, p.get("TemplateName", ""))
    content = {"Subject": template.get("subject_part") or "", "Text": template.get("text_part") or "",
               "Html": template.get("html_part") or ""}
    return {"TemplateName": template["template_name"], "TemplateContent": content}


@handles("sesv2", "DeleteEmailTemplate")
def delete_email_template(account: SesAccount, call: Call, p: dict) -> dict:
    name = p.get("TemplateName", "")
    with account.lock:
        _template(account, name)
        del account.moto.templates[name]
    return {}


@handles("sesv2", "ListEmailTemplates")
def list_email_templates(account: SesAccount, call: Call, p: dict) -> dict:
    templates = dict(account.moto.templates)
    names, token = v2_page(list(templates), p, sizes=(1, 100), default=100)  # 1-100 in its reference
    metadata = [{"TemplateName": n, "CreatedTimestamp": templates[n].get("Timestamp")} for n in names]
    return {"TemplatesMetadata": metadata, **({"NextToken": token} if token else {})}


def templated_mail(account: SesAccount, *, name: str, data: str | None, v1: bool, **fields) -> OutboundMail:
    """A templated send: rendered, or accepted with its rendering failure (SES publishes a
    Rendering Failure event for it instead of sending). `fields` are simple_mail's others."""
    template = stored(account.moto.templates, name)
    if template is None:
        raise ApiError("TemplateDoesNotExist" if v1 else "NotFoundException", f"Template {name} does not exist.")
    try:
        subject, text, html = render(template, data)
        failure = None
    except RenderingFailure as exc:
        subject, text, html, failure = template.get("subject_part") or "", None, None, exc.record
    mail = simple_mail(when=now(), subject=subject, text=text, html=html, **fields)
    mail.rendering_failure = failure
    return mail


@handles("ses", "SendTemplatedEmail")
def send_templated_email_v1(account: SesAccount, call: Call, p: dict) -> dict:
    destination = p.get("Destination", {})
    mail = templated_mail(
        account, name=p.get("Template", ""), data=p.get("TemplateData"), v1=True,
        source=p.get("Source", ""), to=destination.get("ToAddresses", []), cc=destination.get("CcAddresses", []),
        bcc=destination.get("BccAddresses", []), reply_to=p.get("ReplyToAddresses", []),
        configuration_set=p.get("ConfigurationSetName"), tags=message_tags(p.get("Tags")),
    )
    return accept(account, call, mail, V1_REFUSALS)

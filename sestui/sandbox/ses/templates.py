"""Email templates (v1 CreateTemplate and SESv2 CreateEmailTemplate share them, as in SES) and
their rendering: `{{name}}` and `{{a.b}}` replaced from the template data. A variable the data
lacks is a rendering failure, as SES reports it (the send is accepted; a Rendering Failure event
follows instead of the mail). Handlebars block helpers are not evaluated: their tags are dropped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

_VARIABLE = re.compile(r"{{{?\s*([^{}#/!>^\s][^{}]*?)\s*}?}}")
_BLOCK_TAG = re.compile(r"{{\s*[#/^][^{}]*}}|{{\s*else\s*}}")


class RenderingFailure(Exception):
    def __init__(self, message: str, template_name: str):
        super().__init__(message)
        self.record = {"errorMessage": message, "templateName": template_name}


def stored(templates: dict, name: str) -> dict | None:
    """A template from moto's v1 store (keys template_name, subject_part, text_part, html_part)."""
    return templates.get(name)


def store(templates: dict, name: str, subject: str | None, text: str | None, html: str | None) -> None:
    templates[name] = {"template_name": name, "subject_part": subject or "", "text_part": text or "",
                       "html_part": html or "", "Timestamp": datetime.now(UTC)}


def render(template: dict, data: str | None) -> tuple[str, str | None, str | None]:
    """(subject, text, html) of a stored template with `data` (a JSON object, as a string)."""
    name = template["template_name"]
    try:
        values = json.loads(data or "{}")
    except ValueError:
        raise RenderingFailure("Template data is not valid JSON.", name) from None
    if not isinstance(values, dict):
        raise RenderingFailure("Template data must be a JSON object.", name)
    parts = [_fill(template.get(key) or "", values, name) for key in ("subject_part", "text_part", "html_part")]
    return parts[0], parts[1] or None, parts[2] or None


def _fill(text: str, values: dict, name: str) -> str:
    text = _BLOCK_TAG.sub("", text)

    def value(match: re.Match) -> str:
        path, current = match.group(1), values
        for key in path.split("."):
            if not isinstance(current, dict) or key not in current:
                raise RenderingFailure(f"Attribute '{path}' is not present in the rendering data.", name)
            current = current[key]
        return current if isinstance(current, str) else json.dumps(current)

    return _VARIABLE.sub(value, text)

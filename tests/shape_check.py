"""Every response the tests' boto3 clients receive from the sandbox must fit its botocore output
shape: required members present, every value of its modelled type. Registered on the clients of
tests/conftest.py (`after-call`), so each test that calls an operation checks that answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Members the model marks required that SES itself leaves out: an identity's notification topic
# that is not set is absent from GetIdentityNotificationAttributes (as the AWS CLI shows it).
ABSENT_IN_SES_TOO = {"BounceTopic", "ComplaintTopic", "DeliveryTopic"}

_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "long": (int,), "boolean": (bool,), "timestamp": (datetime,),
    "double": (float, int), "float": (float, int), "blob": (bytes, bytearray),
}


def problems(shape: Any, value: Any, where: str = "") -> list[str]:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where or '<root>'}: {type(value).__name__}, not a structure"]
        found = [f"{where}.{name} (required) is missing".lstrip(".") for name in shape.required_members
                 if name not in value and not shape.members[name].serialization.get("location")
                 and not (shape.name == "IdentityNotificationAttributes" and name in ABSENT_IN_SES_TOO)]
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                found += problems(member, value[name], f"{where}.{name}".lstrip("."))
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__}, not a list"]
        return [p for i, item in enumerate(value) for p in problems(shape.member, item, f"{where}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, not a map"]
        return [p for k, v in value.items() for p in problems(shape.value, v, f"{where}[{k}]")]
    expected = _SCALARS.get(kind)
    if expected and not isinstance(value, expected) or (kind in ("integer", "long") and isinstance(value, bool)):
        return [f"{where}: {type(value).__name__}, not {kind}"]
    return []


class ShapeMismatch(AssertionError):
    pass


def check_response(http_response: Any, parsed: dict, model: Any, **_: Any) -> None:
    if http_response.status_code >= 300 or model.output_shape is None:
        return
    body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    found = problems(model.output_shape, body)
    if found:
        raise ShapeMismatch(f"{model.service_model.service_name}:{model.name} answered outside its shape: "
                            + "; ".join(found[:5]))


def register(client: Any) -> Any:
    client.meta.events.register("after-call.*.*", check_response)
    return client

"""SESv2 REST routes that changed between botocore generations, so that every SDK is answered.

botocore's SESv2 model moved two list operations from a GET with the page in the query string to
a POST with a JSON body (moto 5.2 dates the change to botocore 1.43.105). The AWS CLI v1 from
PyPI (1.46.3, botocore 1.43.62), older boto3 and other SDKs still send the GET forms; newer
ones send the POSTs. The gateway matches the installed model's routes first, then these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation: str
    input_in: str  # "querystring" or "body": where this generation puts the operation's input


ROUTES = (
    Route("GET", "/v2/email/identities", "ListEmailIdentities", "querystring"),
    Route("POST", "/v2/email/list-identities", "ListEmailIdentities", "body"),
    Route("GET", "/v2/email/configuration-sets", "ListConfigurationSets", "querystring"),
    Route("POST", "/v2/email/list-configuration-sets", "ListConfigurationSets", "body"),
)


def match(method: str, path: str) -> Route | None:
    path = path.rstrip("/") or "/"
    for route in ROUTES:
        if route.method == method and route.path == path:
            return route
    return None

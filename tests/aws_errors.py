"""What a boto3 call refused with, as the sandbox (or AWS) sent it."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def error_of(call, *args, **kwargs) -> tuple[str, str, int]:
    """Call and expect a ClientError: its (code, message, HTTP status)."""
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]

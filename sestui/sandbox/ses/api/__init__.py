"""The SES v1 and SESv2 operations the sandbox answers itself (moto answers the others)."""

from . import v1, v2_configuration_sets, v2_identities, v2_sending, v2_suppression  # noqa: F401 (they register)
from .registry import HANDLERS

__all__ = ["HANDLERS"]

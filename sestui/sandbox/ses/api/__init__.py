"""The SES v1 and SESv2 operations the sandbox answers itself (moto answers the others)."""

from . import (  # noqa: F401 (they register)
    configuration_set_options,
    identity_views,
    names,
    v1,
    v2_configuration_sets,
    v2_contacts,
    v2_identities,
    v2_sending,
    v2_suppression,
    v2_templates,
    v2_vdm,
)
from .registry import HANDLERS

__all__ = ["HANDLERS"]

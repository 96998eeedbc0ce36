"""CaseWare Cloud adapter: the gateway port, its HTTP client, field maps and errors."""

from .client import CwcHttpClient, RetryPolicy
from .errors import (
    CwcAmbiguous,
    CwcEmailInUse,
    CwcError,
    CwcNotFound,
    CwcOutOfTime,
    CwcRejected,
    CwcUnavailable,
)
from .field_map import FieldMaps, load_field_maps
from .gateway import CaseWareCloud
from .port import CwcPort
from .settings import CwcSettings

__all__ = [
    "CaseWareCloud",
    "CwcAmbiguous",
    "CwcEmailInUse",
    "CwcError",
    "CwcHttpClient",
    "CwcNotFound",
    "CwcOutOfTime",
    "CwcPort",
    "CwcRejected",
    "CwcSettings",
    "CwcUnavailable",
    "FieldMaps",
    "RetryPolicy",
    "load_field_maps",
]

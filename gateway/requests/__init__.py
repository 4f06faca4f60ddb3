"""Service requests: records, the lifecycle, the storage interface and the service channels call.

    from gateway.requests import RequestRecord, RequestService
"""

from gateway.requests.lifecycle import (
    STATUSES,
    InvalidInputs,
    InvalidStatus,
    ReasonRequired,
    RequestError,
    RequestNotFound,
    TransitionNotAllowed,
    UnknownService,
)
from gateway.requests.service import RequestService, RequestSettings
from gateway.requests.store import RequestEvent, RequestFilter, RequestRecord, RequestStore, SqlRequestStore

__all__ = [
    "STATUSES", "InvalidInputs", "InvalidStatus", "ReasonRequired", "RequestError", "RequestNotFound",
    "TransitionNotAllowed", "UnknownService", "RequestService", "RequestSettings", "RequestEvent",
    "RequestFilter", "RequestRecord", "RequestStore", "SqlRequestStore",
]

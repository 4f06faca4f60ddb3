"""SMS wire formats (Kannel, Jasmin, a generic JSON one), keywords and the SMS page surface.

Pure translation between a provider's HTTP shapes and our values; no I/O, no business rules.
"""

from channels.sms.base import RETRY, Ack, DeliveryReport, MoMessage, SmsDialect, WireRequest
from channels.sms.dialects import DIALECTS, dialect_for
from channels.sms.keywords import KeywordMatch, Keywords
from channels.sms.surface import render_sms, sms_surface

__all__ = [
    "Ack", "RETRY", "DeliveryReport", "MoMessage", "SmsDialect", "WireRequest", "DIALECTS", "dialect_for",
    "KeywordMatch", "Keywords", "render_sms", "sms_surface",
]

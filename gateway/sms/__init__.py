"""The SMS channel in the gateway: providers' senders, delivery reports, opt-outs, short numbers,
and the service that turns an incoming text into a reply in the outbox.

    from gateway.sms import RetryLater, SmsService, open_sms
"""

from gateway.sms.service import RetryLater, SmsService
from gateway.sms.setup import open_sms

__all__ = ["RetryLater", "SmsService", "open_sms"]

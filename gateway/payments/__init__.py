"""Fee payments: links sent after a request with a fee, a provider (built-in sandbox or Zarinpal v4),
server-side verification, a sweeper and reconciliation.

    from gateway.payments import PaymentService, Payment
"""

from gateway.payments.models import STATES, Payment, PaymentError, PaymentEvent, Verification
from gateway.payments.service import LinkProblem, LinkView, PaymentService, Settlement
from gateway.payments.settings import PaymentSettings, ZarinpalSettings
from gateway.payments.store import PaymentFilter, PaymentStore

__all__ = [
    "STATES", "Payment", "PaymentError", "PaymentEvent", "Verification", "LinkProblem", "LinkView", "PaymentService", "Settlement",
    "PaymentSettings", "ZarinpalSettings", "PaymentFilter", "PaymentStore",
]

"""Standard Webhooks signing (gateway/events/signing.py) against the specification's published vector."""

from __future__ import annotations

import base64
import json
import time

import pytest

from gateway.events.log import payload
from gateway.events.signing import BadSecret, headers, key_of, new_secret, signature

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specifications_test_vector_is_reproduced() -> None:
    assert signature(key_of(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    assert signature(key_of(VECTOR_SECRET[len("whsec_"):]), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    assert signature(key_of(VECTOR_SECRET), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY + b" ") != VECTOR_SIGNATURE


def test_a_rotation_signs_with_both_secrets_space_separated() -> None:
    fresh = new_secret()
    sent = headers([fresh, VECTOR_SECRET], VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert sent["webhook-id"] == VECTOR_ID and sent["webhook-timestamp"] == "1614265330"
    first, second = sent["webhook-signature"].split(" ")
    assert second == VECTOR_SIGNATURE and first.startswith("v1,") and first != second


def test_new_secrets_are_32_random_bytes_and_bad_ones_are_refused() -> None:
    one, two = new_secret(), new_secret()
    assert one.startswith("whsec_") and one != two and len(base64.b64decode(one[6:])) == 32
    with pytest.raises(BadSecret):
        key_of("whsec_not base64!")
    with pytest.raises(BadSecret):
        key_of("whsec_")


def test_the_reference_library_verifies_what_we_send_rotations_included() -> None:
    """The other side as agencies will run it: the Standard Webhooks project's own Python library
    (`standardwebhooks` on PyPI) accepts our deliveries, signed with the old, the new or both secrets."""
    from standardwebhooks import Webhook, WebhookVerificationError

    event = {"type": "request.submitted", "at": time.time(), "data": json.dumps({"tracking_code": "12345678902"})}
    body = payload({**event, "personal": None}, personal=False)
    old, fresh = new_secret(), new_secret()
    sent = headers([fresh, old], "msg_2aQ8vDzhWcYyS9zE", int(time.time()), body)
    for secret in (old, fresh):
        assert Webhook(secret).verify(body, sent) == {"type": "request.submitted", "timestamp": json.loads(body)["timestamp"],
                                                      "data": {"tracking_code": "12345678902"}}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, sent)
    with pytest.raises(WebhookVerificationError):  # a body changed on the way
        Webhook(old).verify(body.replace(b"902", b"903"), sent)

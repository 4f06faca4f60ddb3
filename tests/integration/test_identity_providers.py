"""The Shahkar-style provider against the fake speaking its wire format: yes, no, and every way of not answering."""

from __future__ import annotations

import pytest
from fakes.shahkar import PASSWORD, USERNAME, FakeShahkar

from flows.errors import ProviderError
from gateway.identity.settings import IdentitySettings, identity_settings
from gateway.identity.shahkar import ShahkarIdentity

ALI, ALI_CODE = "+989121234567", "0499370899"


def provider(base_url: str, **changes: object) -> ShahkarIdentity:
    settings: IdentitySettings = identity_settings({"provider": "shahkar", "base_url": base_url, "username": USERNAME,
                                                    "password": PASSWORD, "timeout": 0.3, **changes})
    return ShahkarIdentity(settings)


async def test_the_owner_matches_and_anyone_else_does_not(shahkar: tuple[FakeShahkar, str]) -> None:
    fake, base_url = shahkar
    fake.owners["09121234567"] = ALI_CODE
    check = provider(base_url)
    try:
        assert await check.check(ALI, ALI_CODE) is True
        assert await check.check(ALI, "0013542419") is False
        assert await check.check("+989350000002", ALI_CODE) is False
    finally:
        await check.close()
    first = fake.calls[0]["body"]
    assert first["serviceNumber"] == "09121234567" and first["identificationNo"] == ALI_CODE
    assert (first["serviceType"], first["identificationType"]) == (2, 0) and len(first["requestId"]) == 32
    assert len({c["body"]["requestId"] for c in fake.calls}) == 3


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_server_error_is_a_retryable_provider_error(shahkar: tuple[FakeShahkar, str], status: int) -> None:
    fake, base_url = shahkar
    fake.fail_with = status
    check = provider(base_url)
    try:
        with pytest.raises(ProviderError) as raised:
            await check.check(ALI, ALI_CODE)
    finally:
        await check.close()
    assert raised.value.retryable and f"HTTP {status}" in str(raised.value)


async def test_a_provider_that_does_not_answer_in_time_is_a_retryable_provider_error(shahkar: tuple[FakeShahkar, str]) -> None:
    fake, base_url = shahkar
    fake.hang = True
    check = provider(base_url, timeout=0.2)
    try:
        with pytest.raises(ProviderError) as raised:
            await check.check(ALI, ALI_CODE)
    finally:
        await check.close()
    assert raised.value.retryable and "unreachable" in str(raised.value)


async def test_refused_credentials_are_an_error_that_names_no_secret(shahkar: tuple[FakeShahkar, str]) -> None:
    _, base_url = shahkar
    check = provider(base_url, password="wrong-password-123")
    try:
        with pytest.raises(ProviderError) as raised:
            await check.check(ALI, ALI_CODE)
    finally:
        await check.close()
    message = str(raised.value)
    assert not raised.value.retryable and "401" in message
    assert "wrong-password-123" not in message and ALI_CODE not in message


async def test_an_unreachable_provider_is_a_retryable_provider_error(unused_tcp_port: int) -> None:
    check = provider(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        with pytest.raises(ProviderError) as raised:
            await check.check(ALI, ALI_CODE)
    finally:
        await check.close()
    assert raised.value.retryable

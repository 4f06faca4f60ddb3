"""Payment rules without a server: the state machine, the request's payment state, link tokens,
settings and the citizen's texts."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.payments.links import link_url, looks_like_token, new_token, token_hash
from gateway.payments.models import Payment, request_payment_state, sources_of
from gateway.payments.pages import CSS, CSS_HASH, csp, layout
from gateway.payments.settings import payment_settings
from gateway.payments.texts import link_button, link_message, receipt
from gateway.settings import SettingsError

BASE = Payment(id=1, request_id=1, amount=300000, currency="IRR", provider="sandbox", authority=None, ref_id=None, card_pan=None,
               state="pending", reason=None, csrf="c", link_expires_at=100.0, link_sent_at=None, started_at=None, verify_attempts=0,
               verified_at=None, synced_state=None, renewed_by=None, created_at=0.0, updated_at=0.0)


def _p(id: int, state: str) -> Payment:
    return dataclasses.replace(BASE, id=id, state=state)


def test_only_the_provider_can_make_paid_and_paid_only_becomes_refunded() -> None:
    assert set(sources_of("paid")) == {"pending", "failed", "expired"}
    assert sources_of("failed") == ("pending",) and sources_of("expired") == ("pending",)
    assert sources_of("refunded") == ("paid",) and sources_of("pending") == ()


@pytest.mark.parametrize("states, expected", [
    ([], "none"), (["pending"], "pending"), (["failed"], "failed"), (["expired"], "pending"),
    (["failed", "pending"], "pending"), (["paid", "expired"], "paid"), (["failed", "paid"], "paid"), (["refunded"], "none"),
])
def test_the_request_shows_paid_if_any_payment_is_paid_else_the_newest(states: list[str], expected: str) -> None:
    assert request_payment_state([_p(i, s) for i, s in enumerate(states, 1)]) == expected


def test_tokens_are_random_url_safe_and_say_nothing_about_the_request() -> None:
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000 and all(looks_like_token(t) for t in tokens)
    token = tokens.pop()
    assert link_url("https://pishkhan.example/", token) == f"https://pishkhan.example/pay/{token}"
    assert token_hash(token) != token and len(token_hash(token)) == 64
    for bad in ("", "x" * 31, "x" * 33, "../../etc/passwd" + "x" * 16, "ا" * 32):
        assert not looks_like_token(bad)


def test_settings_check_the_provider_and_zarinpal_merchant() -> None:
    assert payment_settings(None).provider == "sandbox"
    with pytest.raises(SettingsError, match="merchant_id is empty"):
        payment_settings({"provider": "zarinpal"})
    with pytest.raises(SettingsError, match="use one of sandbox, zarinpal"):
        payment_settings({"provider": "paypal"})
    with pytest.raises(SettingsError, match="unknown key \\(did you mean `link_ttl`"):
        payment_settings({"link_tll": 5})
    zarinpal = payment_settings({"provider": "zarinpal", "zarinpal": {"merchant_id": "m", "sandbox": True}}).zarinpal
    assert zarinpal.url == "https://sandbox.zarinpal.com"


def test_persian_messages_use_persian_digits_but_keep_the_link_working() -> None:
    url = "https://pishkhan.example/pay/Ab3_x9" + "0" * 26
    fa = link_message(300000, "55167420194", url, 24, "fa")
    assert url in fa and "۵۵۱۶۷۴۲۰۱۹۴" in fa and "۲۴ ساعت" in fa
    en = link_message(300000, "55167420194", url, 24, "en")
    assert en == f"Pishkhan: pay 300,000 rials for request 55167420194:\n{url}\nThe link works for 24 hours."
    assert link_button(300000, "en") == "Pay 300,000 rials"
    assert receipt(300000, "55167420194", "201123", "en").endswith("Reference: 201123")


def test_pages_allow_only_their_own_stylesheet_and_escape_values() -> None:
    policy = csp(["https://payment.zarinpal.com"])
    assert f"style-src '{CSS_HASH}'" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert "form-action 'self' https://payment.zarinpal.com" in policy
    page = layout("fa", "<b>x</b>", "")
    assert '<html lang="fa" dir="rtl">' in page and "<title>&lt;b&gt;x&lt;/b&gt;</title>" in page and CSS in page
    assert '<html lang="en" dir="ltr">' in layout("en", "t", "")

"""A Persian error screen longer than a USSD page, through the Africa's Talking webhook: 98 pages
through it, 0 pages back, a provider's retry gets the same page, and the citizen's answers survive."""

from __future__ import annotations

from ussd_citizen import ussd_hops

from flows.gsm7 import ussd_budget_used

PHONE = "+989124444444"


def fits(page: str) -> bool:
    used, limit = ussd_budget_used(page)
    return used <= limit


async def test_persian_home_menu_after_an_invalid_option_pages_with_98_and_back_with_0(client) -> None:  # type: ignore[no-untyped-def]
    hops = ["", "1", "1*7", "1*7*98", "1*7*98", "1*7*98*0", "1*7*98*0*98", "1*7*98*0*98*3"]
    language, home, first, second, retried, back, again, chosen = await ussd_hops(client, PHONE, hops)
    assert "۴. زبان / Language" in home
    assert first == "CON گزینه نامعتبر است.\nپیشخوان دولت\n۱. خدمات\n۲. پیگیری\n۳. راهنما\n۹۸. بیشتر"
    assert second == "CON ۴. زبان / Language\n۵. نظر"
    assert retried == second and back == first and again == second
    assert chosen.startswith("CON راهنما\n۱. نحوه استفاده")  # option 3, on the page before the one the citizen paged to
    assert all(fits(page) for page in (first, second, chosen))


async def test_a_retried_hop_that_ended_the_session_gets_the_same_last_words(client) -> None:  # type: ignore[no-untyped-def]
    hops = ["", "1", "1*7", "1*7*7", "1*7*7*7", "1*7*7*7"]
    *_, ended, retried = await ussd_hops(client, PHONE, hops)
    assert ended == "END تعداد تلاش‌های نادرست زیاد شد. لطفا از نو شروع کنید."
    assert retried == ended


async def test_a_persian_card_shows_its_id_in_persian_digits_and_its_type_as_written(client) -> None:  # type: ignore[no-untyped-def]
    """`G۲C` reads as neither a code nor a number: digits inside a Latin identifier stay as written."""
    card = (await ussd_hops(client, "+989121000003", ["", "1", "1*1", "1*1*2", "1*1*2*1", "1*1*2*1*2"]))[-1]
    assert "شناسه: ۱۳۱۰۲۰۰۰۰ (G2C)" in card, card

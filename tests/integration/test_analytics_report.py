"""Per-service figures as an operator reads them, and the `pishkhan report` file: a request filed over
USSD, delivered through the desk's lifecycle, its payment link and a satisfaction answer are counted
in its service's completion, SLA, payment conversion and CSAT (API and CSV), and the report is one
HTML file with the same numbers, its charts inline and nothing fetched from anywhere."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from ussd_citizen import apply_by_ussd

from gateway.app import GATEWAY
from gateway.cli import main
from gateway.settings import Settings

CONFIG = str(Path(__file__).resolve().parents[2] / "config")
SERVICE = "121095100"
"""The smart ID card's first issue, which `apply_by_ussd` files."""


async def test_a_delivered_paid_for_and_rated_request_counts_in_its_service_and_the_report(
        client: Any, tokens: dict[str, dict[str, str]], settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = client.app[GATEWAY]
    viewer = tokens["viewer"]
    before = await (await client.get("/api/v1/analytics/services", headers=viewer)).json()
    assert before["items"] == []

    late = await apply_by_ussd(client)
    on_time = await apply_by_ussd(client, phone="+989121112233")
    for code in (late, on_time):
        for status in ("in_review", "approved", "delivered"):
            await gateway.requests.transition(code, status, actor="desk 1", reason=None)
    await gateway.db.execute("UPDATE requests SET due_date = '2000-01-01' WHERE tracking_code = ?", (late,))
    third = await _third_request(client)                                      # asked (a survey row), never answered: not in the average
    for status, reason in (("in_review", None), ("rejected", "the photo is missing")):
        await gateway.requests.transition(third, status, actor="desk 1", reason=reason)
    store = gateway.feedback.surveys.store
    for code, rating in ((late, 5), (on_time, 2)):                            # the citizens' answers, as their SMS replies record them
        [survey] = await store.latest(f"tel:{(await gateway.requests.get(code)).phone}", 0)
        await gateway.feedback.surveys.rate(survey, rating, None)
    await gateway.db.execute("UPDATE payments SET state = 'paid' WHERE id = (SELECT MIN(id) FROM payments)")
    await gateway.analytics.flush()

    answer = await (await client.get("/api/v1/analytics/services", headers=viewer)).json()
    [row] = [r for r in answer["items"] if r["service_id"] == SERVICE]
    assert (row["started"], row["submitted"], row["completion_rate"]) == (3, 3, 1.0)
    assert (row["delivered"], row["delivered_on_time"], row["sla_rate"]) == (2, 1, 0.5)
    assert (row["payments"], row["paid"], row["payment_conversion"]) == (3, 1, 0.3333)
    assert (row["csat_answers"], row["csat_average"], row["csat_5"], row["csat_2"], row["csat_1"]) == (2, 3.5, 1, 1, 0)
    exported = await (await client.get("/api/v1/analytics/services?format=csv", headers=viewer)).text()
    [line] = [r for r in csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))) if r["service_id"] == SERVICE]
    assert (line["sla_rate"], line["csat_average"], line["payment_conversion"]) == ("0.5", "3.5", "0.3333")

    monkeypatch.setenv("PISHKHAN_STORE_URL", settings.store_url())
    out = tmp_path / "report.html"
    assert await asyncio.to_thread(main, ["--config", CONFIG, "report", "--since", "30d", "--lang", "en", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"https?://", page) and "<script" not in page and "<link" not in page and " src=" not in page
    assert page.count("<svg") == 4 and "Drop-offs per node" in page and "Average satisfaction (1-5) per service" in page
    assert re.search(rf"{SERVICE}</span> First national ID card</td><td class=\"n\">3</td><td class=\"n\">3</td><td class=\"n\">100%</td>", page)
    assert "<td class=\"n\">50%</td><td class=\"n\">33%</td><td class=\"n\">3.5</td><td class=\"n\">0 / 1 / 0 / 0 / 1</td>" in page
    assert "+98912" not in page

    persian = tmp_path / "report-fa.html"
    assert await asyncio.to_thread(main, ["--config", CONFIG, "report", "--out", str(persian)]) == 0
    shown = persian.read_text(encoding="utf-8")
    assert '<html lang="fa" dir="rtl">' in shown and "رهاشدن در هر گره" in shown and "۱۰۰%" in shown

    assert await asyncio.to_thread(main, ["--config", CONFIG, "report", "--since", "400d", "--out", str(out)]) == 2
    assert await asyncio.to_thread(main, ["--config", CONFIG, "report", "--since", "last week", "--out", str(out)]) == 2


async def _third_request(client: Any) -> str:
    """A third request of the service, over USSD as the others; its tracking code."""
    return await apply_by_ussd(client, phone="+989124445566")

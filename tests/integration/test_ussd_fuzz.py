"""Fuzz: whatever an aggregator (or an attacker) sends, the answer is a page within limits or a 4xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from flows.gsm7 import ussd_budget_used

KEYPAD = st.sampled_from(["0", "00", "98", "1", "2", "3", "9", "*", "#", "۱", "٢", "abc", "", " ", "1*2", "٠٠"])
ANY_TEXT = st.text(max_size=40)


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inputs=st.lists(st.one_of(KEYPAD, ANY_TEXT), max_size=12))
async def test_any_sequence_of_inputs_gets_pages_within_the_limit(client, inputs: list[str]) -> None:  # type: ignore[no-untyped-def]
    session = f"fuzz-{abs(hash(tuple(inputs)))}"
    sent: list[str] = []
    for value in [None, *inputs]:
        if value is not None:
            sent.append(value)
        form = {"sessionId": session, "serviceCode": "*4#", "phoneNumber": "+989127777777", "text": "*".join(sent)}
        response = await client.post("/ussd/africastalking", data=form)
        page = await response.text()
        assert response.status == 200, page
        assert page.startswith(("CON ", "END ")), page
        used, limit = ussd_budget_used(page)
        assert used <= limit, page
        if page.startswith("END "):
            break


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(["Type", "Mobile", "SessionId", "ServiceCode", "Message", "Operator", "x"]),
                              st.one_of(st.text(max_size=30), st.integers(), st.none(), st.booleans()), max_size=7))
async def test_hubtel_junk_never_causes_a_server_error(client, fields: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    response = await client.post("/ussd/hubtel", data=json.dumps(fields), headers={"Content-Type": "application/json"})
    assert response.status < 500, await response.text()

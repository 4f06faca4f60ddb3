"""`identity_check` over the operator API: the same card rule as the YAML, and a checked card's menus at once."""

from __future__ import annotations

from ussd_citizen import ussd

from gateway.app import GATEWAY

BIRTH = "121096100"   # asks for a parent's national code
PARENT = "121096000"  # takes no requests: no national code to check against


async def test_an_operator_turns_the_check_on_and_a_card_without_a_national_code_is_refused(client, tokens) -> None:  # type: ignore[no-untyped-def]
    admin = tokens["admin"]
    refused = await client.patch(f"/api/v1/services/{PARENT}", json={"identity_check": True}, headers=admin)
    error = (await refused.json())["error"]
    assert refused.status == 422 and error["field"] == "identity_check" and "no input asks for a national code" in error["message"]
    assert client.app[GATEWAY].catalogue.get(PARENT).identity_check is False  # type: ignore[union-attr]

    whole = await (await client.get(f"/api/v1/services/{BIRTH}", headers=admin)).json()
    assert whole["identity_check"] is False
    left_out = await client.put(f"/api/v1/services/{BIRTH}", json={k: v for k, v in whole.items() if k != "identity_check"}, headers=admin)
    assert left_out.status == 422 and "identity_check" in await left_out.text()   # a PUT never resets it by leaving it out

    turned_on = await client.patch(f"/api/v1/services/{BIRTH}", json={"identity_check": True}, headers=admin)
    assert turned_on.status == 200 and (await turned_on.json())["identity_check"] is True
    page = await ussd(client, "+989121234567", ["2", "1", "1", "2", "1", "1", "0001234005", "1403/02/15", "Sara", "1"])
    assert "not registered to that national code" in page   # the sandbox's "no match" code, on the changed card at once

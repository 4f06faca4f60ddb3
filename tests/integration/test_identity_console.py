"""`identity_check` in the console's card form: a checked card's box comes ticked, an edit of another
field keeps it, and unticking it turns the check off (the same parser as the YAML and the API)."""

from __future__ import annotations

from test_console_catalogue import edit_fields, post_card, signed_in_as

from gateway.app import GATEWAY

DUPLICATE = "/console/services/121096101"


async def test_an_edit_keeps_the_check_and_unticking_turns_it_off(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_as(client, "root", "admin")
    fields = await edit_fields(client, DUPLICATE)
    assert fields["identity_check"] == ["on"]
    answer = await post_card(client, f"{DUPLICATE}/edit", {**fields, "fee": ["160000"], "action": ["save"]})
    assert answer.status == 303, await answer.text()
    card = client.app[GATEWAY].catalogue.get("121096101")
    assert card is not None and card.fee == 160000 and card.identity_check is True
    fields = await edit_fields(client, DUPLICATE)
    del fields["identity_check"]   # the box unticked: a browser sends nothing for it
    assert (await post_card(client, f"{DUPLICATE}/edit", {**fields, "action": ["save"]})).status == 303
    assert client.app[GATEWAY].catalogue.get("121096101").identity_check is False  # type: ignore[union-attr]

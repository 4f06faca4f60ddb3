"""The flow actions of the help flow's privacy menu (config/flows/help.yaml), for every channel alike:
`privacy_statement`, `privacy_stored`, `privacy_erase_ask` (outcome `nothing` when there is nothing to
erase) and `privacy_erase`. Each sets `privacy_text` in every language.

The number is the one the channel vouches for (`ActionCall.phone`: the network's MSISDN on USSD and SMS,
the shared contact on bots), never one typed in: a citizen sees and erases only their own.
"""

from __future__ import annotations

from collections.abc import Callable

from flows.engine import Action, ActionCall, ActionResult
from flows.texts import say
from gateway.privacy import texts
from gateway.privacy.service import PrivacyService

RESULTS = {name: frozenset({"privacy_text"}) for name in ("privacy_statement", "privacy_stored", "privacy_erase_ask", "privacy_erase")}
"""The variables each action sets (gateway.actions.ACTION_RESULTS)."""


def privacy_actions(privacy: PrivacyService) -> dict[str, Action]:
    """The four actions backed by the privacy service."""
    languages = privacy.languages

    def said(make: Callable[[str], str], outcome: str = "ok") -> ActionResult:
        return ActionResult(outcome=outcome, vars={"privacy_text": texts.each_language(languages, make)})

    def no_phone() -> ActionResult:
        return said(lambda lang: say(texts.NO_PHONE, lang), "nothing")

    async def privacy_statement(call: ActionCall) -> ActionResult:
        """The whole statement (the engine pages it)."""
        return said(privacy.statement.full)

    async def privacy_stored(call: ActionCall) -> ActionResult:
        """The counts of what is kept about the caller's number."""
        if call.phone is None:
            return no_phone()
        stored = await privacy.stored(call.phone)
        return said(lambda lang: texts.brief(stored, lang))

    async def privacy_erase_ask(call: ActionCall) -> ActionResult:
        """The confirmation question, or why there is nothing to erase."""
        if call.phone is None:
            return no_phone()
        finished, still_open = await privacy.erasable(call.phone)
        if not finished:
            return said(lambda lang: say(texts.NOTHING_TO_ERASE, lang, open=texts.still_open(still_open, lang)), "nothing")
        return said(lambda lang: say(texts.ERASE_QUESTION, lang, count=finished))

    async def privacy_erase(call: ActionCall) -> ActionResult:
        """Erase, confirmed: finished requests only; the open ones are named as kept."""
        if call.phone is None:
            return no_phone()
        result = await privacy.erase(call.phone)
        return said(lambda lang: texts.erased(result, lang))

    return {"privacy_statement": privacy_statement, "privacy_stored": privacy_stored, "privacy_erase_ask": privacy_erase_ask,
            "privacy_erase": privacy_erase}


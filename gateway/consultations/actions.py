"""The `polls` flow's actions (config/flows/polls.yaml): the engine's menus are fixed YAML, and which
polls a citizen is asked changes with the time and with who they are, so the list and the poll's
screen are texts these actions make, and the citizen's number is checked here.

`polls_open` offers the open polls whose audience holds the caller (`one`: straight to its question;
`none`: `poll_said` says so), `poll_pick` takes the number chosen from the list, `poll_vote` counts
the answer once per phone and says how it went in `poll_said`.
"""

from __future__ import annotations

from flows.engine import Action, ActionCall, ActionResult
from flows.texts import say
from gateway.consultations import texts
from gateway.consultations.service import Outcome, PollService
from gateway.consultations.store import Poll

RESULTS: dict[str, frozenset[str]] = {
    "polls_open": frozenset({"poll_list", "poll_ids", "poll_id", "poll_text", "poll_said"}),
    "poll_pick": frozenset({"poll_id", "poll_text", "poll_said"}),
    "poll_vote": frozenset({"poll_said"}),
}
"""The variables each action sets (gateway.actions.ACTION_RESULTS)."""


def _number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() else 0


def poll_actions(polls: PollService) -> dict[str, Action]:
    """The three actions over the poll service."""

    def asked(poll: Poll) -> dict[str, object]:
        return {"poll_id": str(poll.id), "poll_text": {lang: polls.screen(poll, lang) for lang in polls.languages}}

    async def polls_open(call: ActionCall) -> ActionResult:
        if call.phone is None:
            return ActionResult("none", {"poll_said": say(texts.NO_PHONE, call.lang)})
        offered = await polls.offered(call.phone)
        if not offered:
            return ActionResult("none", {"poll_said": say(texts.NONE_OPEN, call.lang)})
        if len(offered) == 1:
            return ActionResult("one", asked(offered[0]))
        return ActionResult(vars={"poll_ids": ",".join(str(p.id) for p in offered),
                                  "poll_list": {lang: texts.listing([p.question for p in offered], lang) for lang in polls.languages}})

    async def poll_pick(call: ActionCall) -> ActionResult:
        ids = [int(i) for i in str(call.vars.get("poll_ids", "")).split(",") if i]
        chosen = _number(call.args.get("choice", ""))
        poll = await polls.get(ids[chosen - 1]) if 1 <= chosen <= len(ids) else None
        if poll is None:  # a number past the list: the integer prompt allows up to 9
            return ActionResult("none", {"poll_said": say(texts.NOT_FOUND, call.lang, id=chosen)})
        return ActionResult(vars=asked(poll))

    async def poll_vote(call: ActionCall) -> ActionResult:
        answer = await polls.answer(_number(call.args.get("poll", "")), _number(call.args.get("option", "")),
                                    phone=call.phone, channel=call.channel, lang=call.lang)
        return ActionResult("again" if answer.outcome is Outcome.BAD_OPTION else "ok", {"poll_said": answer.text})

    return {"polls_open": polls_open, "poll_pick": poll_pick, "poll_vote": poll_vote}

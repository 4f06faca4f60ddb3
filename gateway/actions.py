"""The actions flows may call, gathered from the gateway's services."""

from __future__ import annotations

from flows.engine import Action, ActionCall, ActionResult


async def not_yet_available(call: ActionCall) -> ActionResult:
    """Stands in for an action whose service is not configured: the flow's `unavailable` branch runs."""
    return ActionResult(outcome="unavailable")


def base_actions() -> dict[str, Action]:
    """Actions every deployment has, before services register their own."""
    return {"submit_request": not_yet_available, "request_status": not_yet_available}

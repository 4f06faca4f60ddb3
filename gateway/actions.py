"""The actions flows may call, gathered from the gateway's services."""

from __future__ import annotations

import logging

from flows.engine import Action, ActionCall, ActionResult
from gateway.requests import RequestError, RequestService
from gateway.requests.texts import fee_text, localised_date
from gateway.state import StateStore

log = logging.getLogger(__name__)


async def not_yet_available(call: ActionCall) -> ActionResult:
    """Stands in for an action whose service is not configured: the flow's `unavailable` branch runs."""
    return ActionResult(outcome="unavailable")


def base_actions() -> dict[str, Action]:
    """The actions every deployment has (their names are what `flows validate` checks against);
    `open_gateway` replaces them with the real ones."""
    return {"submit_request": not_yet_available, "request_status": not_yet_available}


def request_actions(requests: RequestService, state: StateStore, languages: tuple[str, ...]) -> dict[str, Action]:
    """`submit_request` and `request_status` backed by the request service."""

    async def submit_request(call: ActionCall) -> ActionResult:
        """Submit the service named in `service_id` with the answers the flow collected."""
        service_id = call.args.get("service_id", "")
        service = requests.catalogue().get(service_id)
        if service is None:
            log.warning("submit_request: unknown service %s", service_id)
            return ActionResult(outcome="error")
        inputs = {i.name: str(call.vars[i.name]) for i in service.inputs if call.vars.get(i.name) is not None}
        try:
            record = await requests.submit(service_id, inputs, channel=call.channel, address=call.address, phone=call.phone, lang=call.lang)
        except RequestError as error:
            log.warning("submit_request for %s refused: %s", service_id, error)
            return ActionResult(outcome="error")
        return ActionResult(vars={
            "tracking_code": record.tracking_code,
            "due_date": localised_date(record.due_date, languages),
            "fee_text": {lang: fee_text(record.fee, lang) for lang in languages},
        })

    async def request_status(call: ActionCall) -> ActionResult:
        """Look up `code`; lookups per address are rate-limited so codes cannot be enumerated."""
        limits = requests.settings
        if not await state.allow(f"lookup:{call.address}", limits.lookup_limit, limits.lookup_window):
            return ActionResult(outcome="rate_limited")
        text = await requests.status_text(call.args.get("code", ""), asker_address=call.address, asker_phone=call.phone, lang=call.lang)
        if text is None:
            return ActionResult(outcome="not_found")
        return ActionResult(vars={"status_text": text})

    return {"submit_request": submit_request, "request_status": request_status}

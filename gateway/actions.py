"""The actions flows may call, gathered from the gateway's services."""

from __future__ import annotations

import logging

from flows.engine import Action, ActionCall, ActionResult
from gateway.complaints.actions import RESULTS as COMPLAINT_RESULTS
from gateway.consultations.actions import RESULTS as POLL_RESULTS
from gateway.identity.gate import IdentityGate
from gateway.privacy.actions import RESULTS as PRIVACY_RESULTS
from gateway.requests import RequestError, RequestService
from gateway.requests.lookup import Asker, Outcome, StatusLookup
from gateway.requests.texts import fee_text, localised_date

log = logging.getLogger(__name__)


async def not_yet_available(call: ActionCall) -> ActionResult:
    """Stands in for an action whose service is not configured: the flow's `unavailable` branch runs."""
    return ActionResult(outcome="unavailable")


ACTION_RESULTS: dict[str, frozenset[str]] = {
    "submit_request": frozenset({"tracking_code", "due_date", "fee_text"}),
    "request_status": frozenset({"status_text"}),
    **POLL_RESULTS,
    "file_complaint": COMPLAINT_RESULTS,
    **PRIVACY_RESULTS,
}
"""The variables each action sets for the texts after it (checked: a flow may use only what is set)."""


def base_actions() -> dict[str, Action]:
    """The actions every deployment has (their names are what `flows validate` checks against);
    `open_gateway` replaces them with the real ones."""
    return {"submit_request": not_yet_available, "request_status": not_yet_available, "file_complaint": not_yet_available,
            **dict.fromkeys(POLL_RESULTS, not_yet_available), **dict.fromkeys(PRIVACY_RESULTS, not_yet_available)}


def request_actions(requests: RequestService, lookups: StatusLookup, languages: tuple[str, ...], identity: IdentityGate) -> dict[str, Action]:
    """`submit_request` and `request_status` backed by the request service; a service whose card asks
    for the identity check is submitted only once `identity` lets it through."""

    async def submit_request(call: ActionCall) -> ActionResult:
        """Submit the service named in `service_id` with the answers the flow collected."""
        service_id = call.args.get("service_id", "")
        service = requests.catalogue().get(service_id)
        if service is None:
            log.warning("submit_request: unknown service %s", service_id)
            return ActionResult(outcome="error")
        inputs = {i.name: str(call.vars[i.name]) for i in service.inputs if call.vars.get(i.name) is not None}
        try:
            held = await identity.before_submit(service, inputs, channel=call.channel, address=call.address, phone=call.phone, lang=call.lang)
            if held is not None:
                return ActionResult(outcome=held)
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
        """Look up `code` under the one lookup policy (gateway.requests.lookup)."""
        found = await lookups.lookup(call.args.get("code", ""), Asker(call.address, call.phone), call.lang)
        if found.outcome is not Outcome.FOUND:
            return ActionResult(outcome="not_found" if found.outcome in (Outcome.NO_CODE, Outcome.BAD_CODE) else found.outcome.value)
        return ActionResult(vars={"status_text": found.text})

    return {"submit_request": submit_request, "request_status": request_status}

"""The flow action `file_complaint`: a citizen's complaint or suggestion about a service (`service_id`)
or about a request (`code`, its tracking code), with the text they typed. Operators may place it in
their own flows; outcomes: ok (sets `complaint_code`, `complaint_due`), not_found (no such service or
request), rate_limited, invalid (kind or text wrong), unavailable (the store failed)."""

from __future__ import annotations

import logging
import re

from flows.engine import Action, ActionCall, ActionResult
from flows.normalise import normalise_input
from gateway.complaints.lifecycle import InvalidComplaint, SubjectNotFound
from gateway.complaints.service import ComplaintService
from gateway.requests.texts import localised_date
from gateway.state import StateStore

log = logging.getLogger(__name__)

RESULTS = frozenset({"complaint_code", "complaint_due"})
"""The variables `file_complaint` sets (gateway.actions.ACTION_RESULTS)."""
_CODE_NOISE = re.compile(r"[\s\-_.]")


def complaint_actions(complaints: ComplaintService, state: StateStore) -> dict[str, Action]:
    """`file_complaint` backed by the complaint service, at most `complaints.file_limit` per address and window."""

    async def file_complaint(call: ActionCall) -> ActionResult:
        """File what the citizen typed in `text` (args: kind, text, and service_id or code)."""
        code = _CODE_NOISE.sub("", normalise_input(call.args.get("code", ""))) or None
        limits = complaints.settings
        try:
            if not await state.allow(f"complaint:{call.address}", limits.file_limit, limits.file_window):
                return ActionResult(outcome="rate_limited")
            record = await complaints.file(
                call.args.get("kind", "complaint"), call.args.get("text", ""), service_id=call.args.get("service_id") or None,
                request_code=code, channel=call.channel, address=call.address, phone=call.phone, lang=call.lang)
        except SubjectNotFound:
            return ActionResult(outcome="not_found")
        except InvalidComplaint as error:
            log.warning("file_complaint refused: %s", error)
            return ActionResult(outcome="invalid")
        except Exception:  # a broken store must end in a polite screen
            log.exception("file_complaint failed")
            return ActionResult(outcome="unavailable")
        return ActionResult(vars={"complaint_code": record.code, "complaint_due": localised_date(record.due_date, complaints.languages)})

    return {"file_complaint": file_complaint}

"""`/api/v1/audit`: admins read the audit trail (who changed content, tokens or a request's status, when, what).

The same filters as `pishkhan audit`, declared once here (the CLI reads its options with these
parameters, so a shell and the API accept the same values). Times are ISO 8601 or Jalali days; a time
without an offset is in the gateway's calendar time zone (`calendar.timezone`), like the days of the
requests list.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from aiohttp import web

from flows.dates import parse_date
from gateway.api.common import AGENCY, DAY_PATTERN, OFFSET, Call, Param, invalid, matching, one_of, page_size, requires
from gateway.audit import ACTIONS, AuditLog
from gateway.runtime import GATEWAY
from gateway.scopes import EVERY_AGENCY, Scope

Moment = datetime.date | datetime.datetime
"""A filter's time: a whole day, or an instant (naive: in the calendar's time zone)."""

_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?"
_OFFSET = "Z|[+-](?:0[0-9]|1[0-4]):[0-5][0-9]"
MOMENT_PATTERN = f"^{DAY_PATTERN[1:-1]}(?:[T ]{_TIME}(?:{_OFFSET})?)?$"
"""A valid day (DAY_PATTERN: Gregorian or Jalali) with an optional time and offset, so what matches can be read."""
_CLOCK = re.compile(r"([0-9:]{5,8})(Z|[+-][0-9]{2}:[0-9]{2})?")
_FORM = ("a day (yyyy-mm-dd or Jalali yyyy/mm/dd) or a time (yyyy-mm-ddThh:mm[:ss], optionally with Z or +hh:mm; "
         "without one, in the gateway's time zone)")


def _moment_of(text: str) -> Moment:
    """The day or time a text that matched MOMENT_PATTERN names (the match leaves out a final newline `$` lets through)."""
    found = re.search(MOMENT_PATTERN, text)
    assert found is not None, "Param.parse converts only what the pattern matched"
    day, clock = parse_date(found.group(0)[:10]), _CLOCK.fullmatch(found.group(0)[11:])
    if clock is None:
        return day
    time, zone = datetime.time.fromisoformat(clock.group(1)), clock.group(2)
    if zone is None:
        return datetime.datetime.combine(day, time)
    offset = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:])) if zone != "Z" else datetime.timedelta(0)
    return datetime.datetime.combine(day, time, datetime.timezone(-offset if zone[0] == "-" else offset))


def moment(name: str, description: str) -> Param:
    """A query parameter that is a day or a time (`Moment`)."""
    return Param(name, f"{description}: {_FORM}", {"type": "string", "pattern": MOMENT_PATTERN}, hint=_FORM, convert=_moment_of)


def unix_time(value: Moment, tz: datetime.tzinfo, *, end: bool = False) -> float:
    """A moment as a Unix time: a naive time in `tz`; a day from its midnight in `tz`, or the next day's when `end`
    (so an `until` day includes that whole day)."""
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).timestamp()
    start = value + datetime.timedelta(days=1) if end else value
    return datetime.datetime.combine(start, datetime.time(), tz).timestamp()


def time_range(since: Moment | None, until: Moment | None, tz: datetime.tzinfo) -> tuple[float | None, float | None]:
    """`since` (inclusive) and `until` (exclusive; a day includes itself) as Unix times; 422 naming `until` when it is
    not after `since`."""
    start = unix_time(since, tz) if since is not None else None
    end = unix_time(until, tz, end=True) if until is not None else None
    if start is not None and end is not None and end <= start:
        raise invalid("until", "must be after since")
    return start, end


_TEXT = "^[^\\x00-\\x1f\\x7f]{1,200}$"  # names are free text (Persian too), but one line of it
FILTERS = (
    matching("actor", "Only entries whose actor contains this text: a token's name, `token 3 (`, `cli:`", _TEXT,
             "1 to 200 characters on one line"),
    one_of("action", f"Only this action: {', '.join(ACTIONS)}", ACTIONS),
    matching("subject", "Only this subject: a tracking code, `token 3`, a service id, a content version", _TEXT,
             "1 to 200 characters on one line"),
    moment("since", "Only entries at or after this time"),
    moment("until", "Only entries before this time (a day: up to its end)"),
)


async def entries(log: AuditLog, query: dict[str, Any], tz: datetime.tzinfo, scope: Scope = EVERY_AGENCY) -> dict[str, Any]:
    """A page of entries for these filters (about what `scope` sees), as the API and `pishkhan audit --json` show it."""
    since, until = time_range(query["since"], query["until"], tz)
    found, total = await log.list(actor=query["actor"], action=query["action"], subject=query["subject"], since=since, until=until,
                                  limit=query["limit"], offset=query["offset"], services=scope.services)
    return {"items": [e.to_dict() for e in found], "total": total, "limit": query["limit"], "offset": query["offset"]}


@requires("admin", scope=AGENCY, query=(*FILTERS, page_size, OFFSET))
async def list_audit(request: web.Request, call: Call) -> web.Response:
    """A page of the audit trail, newest first, with the total that match; a scoped admin's only about its services,
    their requests and complaints."""
    gateway = request.app[GATEWAY]
    return web.json_response(await entries(AuditLog(gateway.db), call.query, gateway.requests.calendar.tz, call.scope))


_ENTRY = {"type": "object", "required": ["id", "at", "actor", "action", "subject", "detail"], "properties": {
    "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
    "actor": {"type": "string", "description": "`token <id> (<name>)` or `cli:<user>`"},
    "action": {"enum": list(ACTIONS)}, "subject": {"type": "string"},
    "detail": {"type": "object", "description": "What changed: {from, to, reason} for a request, {name, role} for a token, "
                                                "a `diff` (text lines) for content"}}}
OPENAPI_PATHS: dict[str, Any] = {
    "/audit": {"get": {
        "summary": "The audit trail, newest first (admin): who changed content, tokens or a request's status, when, what",
        "operationId": "listAudit",
        "description": "422 also when `until` is not after `since`.",
        "responses": {"200": {"description": "A page of entries", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
                "items": {"type": "array", "items": _ENTRY}, "total": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer"}, "offset": {"type": "integer"}}}}}}}}},
}
"""What the route does and answers, relative to /api/v1, for the API's document (which adds its parameters and errors)."""


def setup(api: web.Application) -> None:
    """Register /audit on the operator API."""
    api.router.add_get("/audit", list_audit)


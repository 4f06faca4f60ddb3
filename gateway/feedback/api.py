"""`/api/v1/feedback`: operators read satisfaction answers and each service's CSAT.

`/feedback` lists answers (newest answer first, the period is when they were answered);
`/feedback/summary` counts, per service, the surveys asked in the period: how many were answered,
their average and how many gave each rating (a response rate needs the surveys asked, not the
answers received). Viewers see the citizen's number masked, and long digit runs in comments (a
phone or national code typed there) masked alike; operators and admins see them in full.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from flows.dates import iso_utc
from flows.masking import mask_digit_runs, masked
from gateway.api.audit import moment, time_range
from gateway.api.common import AGENCY, OFFSET, Call, matching, page_size, requires
from gateway.catalogue.model import SERVICE_ID
from gateway.feedback.store import RATINGS, Answer, Period, Summary, SurveyStore
from gateway.runtime import GATEWAY
from gateway.tokens import TokenInfo

SERVICE = matching("service_id", "Only this service", SERVICE_ID.pattern, "a 9-digit service id")


def _filters(when: str) -> tuple[Any, ...]:
    return (SERVICE, moment("since", f"Only surveys {when} at or after this time"),
            moment("until", f"Only surveys {when} before this time (a day: up to its end)"))


def _period(request: web.Request, call: Call) -> Period:
    since, until = time_range(call.query["since"], call.query["until"], request.app[GATEWAY].requests.calendar.tz)
    return Period(call.query["service_id"], since, until, call.scope.services)


def _store(request: web.Request) -> SurveyStore:
    return SurveyStore(request.app[GATEWAY].db)


def answer_json(answer: Answer, token: TokenInfo) -> dict[str, Any]:
    """One answer as this token may see it."""
    survey, full = answer.survey, token.can("operator")
    comment = survey.comment if full or survey.comment is None else mask_digit_runs(survey.comment)
    return {"survey_id": survey.id, "tracking_code": answer.tracking_code, "service_id": survey.service_id, "channel": survey.channel,
            "address": survey.address if full else masked(survey.address), "lang": survey.lang, "rating": survey.rating, "comment": comment,
            "asked_at": iso_utc(survey.asked_at), "answered_at": iso_utc(survey.answered_at) if survey.answered_at is not None else None}


def summary_json(summary: Summary) -> dict[str, Any]:
    """One service's CSAT."""
    return {"service_id": summary.service_id, "asked": summary.asked, "answered": summary.answered, "average": summary.average,
            "distribution": {str(rating): summary.distribution[rating] for rating in RATINGS}}


@requires("viewer", scope=AGENCY, query=(*_filters("answered"), page_size, OFFSET))
async def list_feedback(request: web.Request, call: Call) -> web.Response:
    """A page of answers, newest first, with the total that match."""
    query = call.query
    found, total = await _store(request).answers(_period(request, call), query["limit"], query["offset"])
    return web.json_response({"items": [answer_json(a, call.token) for a in found], "total": total,
                              "limit": query["limit"], "offset": query["offset"]})


@requires("viewer", scope=AGENCY, query=_filters("asked"))
async def feedback_summary(request: web.Request, call: Call) -> web.Response:
    """Per service: asked, answered, average and distribution of the surveys asked in the period."""
    summaries = await _store(request).summary(_period(request, call))
    return web.json_response({"items": [summary_json(s) for s in summaries]})


_TIME = {"type": "string", "format": "date-time"}
_ANSWER = {"type": "object", "required": ["survey_id", "tracking_code", "service_id", "channel", "address", "lang", "rating", "comment",
                                          "asked_at", "answered_at"], "properties": {
    "survey_id": {"type": "integer"}, "tracking_code": {"type": "string"}, "service_id": {"type": "string"},
    "channel": {"type": "string", "description": "Where the request came from: ussd, sms, telegram"},
    "address": {"type": "string", "description": "Where the question went; masked for viewers"}, "lang": {"type": "string"},
    "rating": {"type": "integer", "minimum": 1, "maximum": 5},
    "comment": {"type": ["string", "null"], "description": "Phone numbers and national codes typed in it are masked for viewers"},
    "asked_at": _TIME, "answered_at": _TIME}}
_SUMMARY = {"type": "object", "required": ["service_id", "asked", "answered", "average", "distribution"], "properties": {
    "service_id": {"type": "string"}, "asked": {"type": "integer", "minimum": 0}, "answered": {"type": "integer", "minimum": 0},
    "average": {"type": ["number", "null"], "description": "Mean rating of the answered surveys, 2 decimals; null when none"},
    "distribution": {"type": "object", "required": [str(r) for r in RATINGS],
                     "properties": {str(r): {"type": "integer", "minimum": 0} for r in RATINGS}}}}
OPENAPI_PATHS: dict[str, Any] = {
    "/feedback": {"get": {
        "summary": "Satisfaction answers, newest first (viewer): rating 1-5 and comment per request", "operationId": "listFeedback",
        "description": "`since` and `until` bound when the answer came. 422 also when `until` is not after `since`.",
        "responses": {"200": {"description": "A page of answers", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
                "items": {"type": "array", "items": _ANSWER}, "total": {"type": "integer", "minimum": 0},
                "limit": {"type": "integer"}, "offset": {"type": "integer"}}}}}}}}},
    "/feedback/summary": {"get": {
        "summary": "CSAT per service (viewer): surveys asked, answered, average rating and how many gave each rating",
        "operationId": "feedbackSummary",
        "description": "`since` and `until` bound when the surveys were asked (so `answered / asked` is the response rate). "
                       "A service with no survey in the period is not listed. 422 also when `until` is not after `since`.",
        "responses": {"200": {"description": "One item per service", "content": {"application/json": {"schema": {
            "type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": _SUMMARY}}}}}}}}},
}
"""What these routes do and answer, relative to /api/v1, for the API's document (which adds their parameters and errors)."""


def setup(api: web.Application) -> None:
    """Register /feedback and /feedback/summary on the operator API."""
    api.router.add_get("/feedback", list_feedback)
    api.router.add_get("/feedback/summary", feedback_summary)

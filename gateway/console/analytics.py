"""The console's analytics page: the report's charts and tables for a chosen period and channel,
drawn by the same code (gateway.analytics), in the user's language; and the same rows as CSV."""

from __future__ import annotations

import datetime
from typing import Any

from aiohttp import web
from markupsafe import Markup

from gateway.analytics.csvfile import to_csv
from gateway.analytics.overview import charts, overview
from gateway.analytics.period import Period, PeriodError, day_or_days_ago, period
from gateway.analytics.words import WORDS
from gateway.api.analytics import COLUMNS
from gateway.calendar import build_calendar
from gateway.catalogue.model import CITIZEN_CHANNELS
from gateway.console.i18n import Texts
from gateway.console.web import PREFIX, NavItem, gateway_of, render, requires, scope_of_page, speaker
from gateway.scopes import AGENCY

BASE = f"{PREFIX}/analytics"
NAV = (NavItem(BASE, "analytics.nav"),)  # short: the menu has ten entries
TEXTS: Texts = {f"analytics.{key}": words for key, words in WORDS.items()} | {
    "analytics.export": {"fa": "دریافت CSV", "en": "Download CSV"},
    "analytics.export_nodes": {"fa": "گره‌ها", "en": "Nodes"},
    "analytics.export_channels": {"fa": "کانال‌ها", "en": "Channels"},
    "analytics.export_services": {"fa": "خدمات", "en": "Services"},
    "analytics.bad_day": {"fa": "روز را مانند ۱۴۰۳/۱۲/۱۱ یا 2025-03-01 بنویسید.", "en": "Write the day as 2025-03-01 or 1403/12/11."},
    "analytics.too_long": {"fa": "دوره حداکثر یک سال است و «از روز» پیش از «تا روز» می‌آید.",
                           "en": "A period is at most a year, and From comes before To."},
    "analytics.bad_channel": {"fa": "کانال ناشناخته است.", "en": "Unknown channel."},
    "analytics.unknown": {"fa": "این صفحه چنین پالایه‌ای ندارد.", "en": "This page has no such filter."},
    "analytics.field": {"fa": "«{field}»: ", "en": "{field}: "},
}
NODE_TOTALS = ("node", "visits", "exits", "drops", "drop_rate")
"""The node CSV of the console: per node over the period (the API's has one row per day and channel)."""


class Refused(Exception):
    """A filter the page cannot use: which field, and the words saying why."""

    def __init__(self, field: str, key: str) -> None:
        super().__init__(field)
        self.field, self.key = field, key


def _asked(request: web.Request, today: datetime.date) -> tuple[Period, str | None]:
    """The period and channel the page's filters name (defaults: the 30 days ending today, every channel)."""
    query = request.query
    for key in query:
        if key not in ("since", "until", "channel"):
            raise Refused(key, "analytics.unknown")
    days = {}
    for name in ("since", "until"):
        text = query.get(name, "").strip()
        try:
            days[name] = day_or_days_ago(text, today, name) if text else None
        except PeriodError:
            raise Refused(name, "analytics.bad_day") from None
    channel = query.get("channel", "") or None
    if channel is not None and channel not in CITIZEN_CHANNELS:
        raise Refused("channel", "analytics.bad_channel")
    try:
        return period(days["since"], days["until"], today), channel
    except PeriodError:
        raise Refused("since", "analytics.too_long") from None


@requires("viewer", scope=AGENCY)
async def page(request: web.Request) -> web.StreamResponse:
    """The charts and tables for the period asked; a filter that cannot be used is named, with what was typed kept."""
    gateway = gateway_of(request)
    calendar = build_calendar(gateway.settings.calendar)
    typed = {name: request.query.get(name, "") for name in ("since", "until", "channel")}
    try:
        asked, channel = _asked(request, calendar.today())
    except Refused as refused:
        return render(request, "analytics.html", {"typed": typed, "channels": CITIZEN_CHANNELS, "seen": None, "charts": {},
                                                  "refused": refused, "names": {}, "query": "",
                                                  "gateway_interval": _seconds(gateway.settings.analytics.flush_interval)}, status=400)
    seen = await overview(gateway.db, calendar, asked, channel, scope_of_page(request).services)
    s = speaker(request)
    drawn = {key: Markup(svg) for key, svg in charts(seen, s.lang, s.digits, lambda iso: s.day(datetime.date.fromisoformat(iso))).items()}  # noqa: S704 - charts escape every text they write
    names = {service.id: service.title.get(s.lang, service.id) for service in gateway.catalogue.services
             if scope_of_page(request).sees_service(service.id)}
    query = "&".join(f"{k}={v}" for k, v in (("since", asked.since.isoformat()), ("until", asked.until.isoformat()), ("channel", channel)) if v)
    return render(request, "analytics.html", {"typed": typed, "channels": CITIZEN_CHANNELS, "seen": seen, "charts": drawn,
                                              "refused": None, "names": names, "query": query,
                                              "gateway_interval": _seconds(gateway.settings.analytics.flush_interval)})


@requires("viewer", scope=AGENCY)
async def export(request: web.Request) -> web.StreamResponse:
    """The period's rows of one kind (nodes, channels, services) as CSV, as the API's export."""
    kind = request.match_info["kind"]
    gateway = gateway_of(request)
    calendar = build_calendar(gateway.settings.calendar)
    try:
        asked, channel = _asked(request, calendar.today())
    except Refused as refused:
        raise web.HTTPBadRequest(reason=f"{refused.field}: {TEXTS[refused.key]['en']}") from None
    seen = await overview(gateway.db, calendar, asked, channel, scope_of_page(request).services)
    rows: list[dict[str, Any]] = {"nodes": seen.nodes, "channels": seen.channels, "services": seen.services}[kind]
    columns = NODE_TOTALS if kind == "nodes" else COLUMNS[kind]
    name = f"pishkhan-{kind}-{asked.since.isoformat()}-{asked.until.isoformat()}.csv"
    return web.Response(text=to_csv(columns, rows), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _seconds(interval: float) -> int | float:
    """A flush interval as staff read it: 30, not 30.0."""
    return int(interval) if interval.is_integer() else interval


def setup(console: web.Application) -> None:
    """Register /analytics and its CSV exports."""
    console.router.add_get("/analytics", page)
    console.router.add_get("/analytics/{kind:nodes|channels|services}.csv", export)

"""`pishkhan report --since 30d --out report.html`: flow and service analytics for a period as one
self-contained HTML file (the same numbers and charts as the console's analytics page)."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
from pathlib import Path

from gateway.analytics.overview import overview
from gateway.analytics.period import PeriodError, day_or_days_ago, period
from gateway.analytics.report import render_report
from gateway.calendar import build_calendar
from gateway.catalogue.model import CITIZEN_CHANNELS
from gateway.catalogue.store import CatalogueStore
from gateway.commands.common import config_option, run_on_store, settings_of
from gateway.store import Database


def make(args: argparse.Namespace) -> int:
    """Write the report; exit 2 when the period cannot be used or the file cannot be written."""
    settings = settings_of(args)
    calendar = build_calendar(settings.calendar)
    today = calendar.today()
    try:
        asked = period(day_or_days_ago(args.since, today), day_or_days_ago(args.until, today, "until") if args.until else None, today)
    except PeriodError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    async def work(db: Database) -> int:
        seen = await overview(db, calendar, asked, args.channel)
        names = {s.id: s.title.get(args.lang) or s.id for s in (await CatalogueStore(db).load()).services}
        page = render_report(seen, args.lang, datetime.datetime.now(calendar.tz), names, settings.analytics.flush_interval)
        try:
            await asyncio.to_thread(Path(args.out).write_text, page, encoding="utf-8")
        except OSError as error:
            print(f"error: --out: cannot write {args.out}: {error.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {args.out}: {asked.since.isoformat()} to {asked.until.isoformat()}, {len(seen.nodes)} nodes,"
              f" {sum(r['sessions'] for r in seen.channels)} conversations")
        return 0

    return run_on_store(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `report`."""
    report = commands.add_parser("report", help="flow and service analytics for a period as one self-contained HTML file")
    report.add_argument("--since", default="30d", help="first day: 30d (the 30 days ending today, the default) or a day, 2025-03-01 or 1403/12/11")
    report.add_argument("--until", help="last day (default today), as --since")
    report.add_argument("--channel", choices=CITIZEN_CHANNELS, help="only this channel")
    report.add_argument("--lang", choices=("fa", "en"), default="fa", help="the report's language (default fa)")
    report.add_argument("--out", required=True, help="the HTML file to write")
    report.set_defaults(handler=make)
    config_option(report)

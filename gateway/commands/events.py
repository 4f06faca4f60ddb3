"""`pishkhan events …`: agencies' event subscriptions, the delivery log and replay, from a shell.

The same operations as `/api/v1/agencies/{agency}/subscriptions` and `/api/v1/events/…`, straight on
the store (safe while the gateway runs: its dispatcher picks up what a replay queues on its next
poll). A shell is the operator's own: no agency scope. Changes are audited as `cli:<user>`.
"""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.api.audit import moment, time_range
from gateway.api.common import MAX_ID, matching, whole
from gateway.audit import cli_actor
from gateway.calendar import build_calendar
from gateway.commands.common import argument, config_option, run_on_store, settings_of
from gateway.events.api import AGENCY_PATTERN, WEBHOOK_ID
from gateway.events.deliveries import OUTCOMES, Deliveries, DeliveryFilter
from gateway.events.log import TYPES
from gateway.events.subscriptions import Subscription, Subscriptions
from gateway.store import Database

AGENCY = matching("agency", "an agency id", AGENCY_PATTERN, "a lower-case agency id such as sabt")
ID = whole("id", "a subscription id", 1, MAX_ID)
EVENT = matching("webhook_id", "an event's webhook-id", WEBHOOK_ID, "msg_ and 24 hexadecimal digits")
SINCE, UNTIL = moment("since", "from"), moment("until", "until")


def _on_subscriptions(args: argparse.Namespace, work: Callable[[Subscriptions], Awaitable[int]]) -> int:
    settings = settings_of(args)
    return run_on_store(args, lambda db: work(Subscriptions(db, settings.events)))


def _line(s: Subscription) -> str:
    return "\t".join((str(s.id), s.agency, s.state, s.url, ",".join(s.types), "personal" if s.personal else "-"))


def _print_subscription(s: Subscription, secret: str | None = None) -> None:
    print(_line(s))
    if secret:
        print(f"secret (shown once; give it to the agency's system): {secret}")


def subscribe(args: argparse.Namespace) -> int:
    """A new subscription; prints it and its secret."""
    async def work(subs: Subscriptions) -> int:
        made, secret = await subs.create(args.agency, args.url, args.types or list(TYPES), personal=args.personal, actor=cli_actor())
        _print_subscription(made, secret)
        return 0
    return _on_subscriptions(args, work)


def list_subscriptions(args: argparse.Namespace) -> int:
    """One tab-separated line per subscription: id, agency, state, URL, types, personal."""
    async def work(subs: Subscriptions) -> int:
        found = await subs.list(args.agency)
        if args.json:
            print(json.dumps([s.as_json() for s in found], ensure_ascii=False, indent=2))
        else:
            for s in found:
                print(_line(s))
            print(f"{len(found)} subscriptions")
        return 0
    return _on_subscriptions(args, work)


def change(args: argparse.Namespace) -> int:
    """enable, disable, rotate or delete one subscription."""
    async def work(subs: Subscriptions) -> int:
        actor = cli_actor()
        if args.events_command == "delete":
            await subs.delete(args.agency, args.id, actor=actor)
            print(f"deleted subscription {args.id}")
        elif args.events_command == "rotate":
            rotated, secret = await subs.rotate(args.agency, args.id, actor=actor)
            _print_subscription(rotated, secret)
        else:
            _print_subscription(await subs.set_state(args.agency, args.id, f"{args.events_command}d", actor=actor))
        return 0
    return _on_subscriptions(args, work)


def _when(at: float | None) -> str:
    return "-" if at is None else datetime.datetime.fromtimestamp(at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _range(args: argparse.Namespace) -> tuple[float | None, float | None]:
    return time_range(args.since, args.until, build_calendar(settings_of(args).calendar).tz)


def deliveries(args: argparse.Namespace) -> int:
    """The delivery log, newest first: time, agency, subscription, event, type, subject, attempt, status, ms, outcome, error."""
    since, until = _range(args)

    async def work(db: Database) -> int:
        rows = await Deliveries(db).search(DeliveryFilter(None, args.agency, args.webhook_id, args.subscription, args.outcome, since, until,
                                                          args.limit))
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        for r in rows:
            e: dict[str, Any] = r["event"]
            print("\t".join(str(v if v is not None else "-") for v in (
                _when(r["at"]), r["agency"], r["subscription"], e["webhook_id"], e["type"], e["subject"], r["attempt"], r["status"],
                r["duration_ms"], r["outcome"], r["error"])))
        print(f"{len(rows)} attempts")
        return 0
    return run_on_store(args, work)


def replay(args: argparse.Namespace) -> int:
    """Queue one event or a time range's events again."""
    if args.webhook_id is None and args.since is None:
        print("error: give --event WEBHOOK_ID, or --since (and --until) for a time range")
        return 2
    since, until = _range(args)
    limit = settings_of(args).events.max_replay

    async def work(db: Database) -> int:
        done = await Deliveries(db).replay(args.agency, actor=cli_actor(), webhook_id=args.webhook_id, since=since, until=until,
                                           subscription=args.subscription, limit=limit)
        print(f"queued {done['deliveries']} deliveries of {done['events']} events")
        return 0
    return run_on_store(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `events subscribe|list|enable|disable|rotate|delete|deliveries|replay`."""
    events = commands.add_parser("events", help="events to agency systems (Standard Webhooks)").add_subparsers(dest="events_command", required=True)
    made = events.add_parser("subscribe", help="subscribe a URL to events; prints the signing secret once")
    made.add_argument("agency", type=argument(AGENCY))
    made.add_argument("url")
    made.add_argument("--type", dest="types", action="append", choices=TYPES, help="an event type (repeat; default: every type)")
    made.add_argument("--personal", action="store_true", help="also send the citizen's phone, national code, inputs and texts")
    made.set_defaults(handler=subscribe)
    listed = events.add_parser("list", help="an agency's subscriptions (never their secrets)")
    listed.add_argument("agency", type=argument(AGENCY))
    listed.add_argument("--json", action="store_true", help="print JSON instead of tab-separated lines")
    listed.set_defaults(handler=list_subscriptions)
    parsers = [made, listed]
    for name, text in (("enable", "send to a subscription again"), ("disable", "stop sending to a subscription (queued ones are skipped)"),
                       ("rotate", "a new secret, printed once; the old one signs too for events.rotation_overlap"),
                       ("delete", "remove a subscription")):
        one = events.add_parser(name, help=text)
        one.add_argument("agency", type=argument(AGENCY))
        one.add_argument("id", type=argument(ID))
        one.set_defaults(handler=change)
        parsers.append(one)
    log = events.add_parser("deliveries", help="the delivery log: every attempt, newest first")
    log.add_argument("--agency", type=argument(AGENCY))
    log.add_argument("--limit", type=argument(whole("limit", "at most this many", 1, 10000)), default=50)
    log.add_argument("--json", action="store_true", help="print JSON instead of tab-separated lines")
    log.add_argument("--outcome", choices=OUTCOMES)
    again = events.add_parser("replay", help="send one event (--event) or a time range's events (--since/--until) again")
    again.add_argument("agency", type=argument(AGENCY))
    for parser in (log, again):
        parser.add_argument("--event", dest="webhook_id", type=argument(EVENT), help="one event by its webhook-id")
        parser.add_argument("--subscription", type=argument(ID), help="only this subscription")
        parser.add_argument("--since", type=argument(SINCE), help="from this day or time")
        parser.add_argument("--until", type=argument(UNTIL), help="until this day or time (a day: up to its end)")
    log.set_defaults(handler=deliveries)
    again.set_defaults(handler=replay)
    for parser in (*parsers, log, again):
        config_option(parser)

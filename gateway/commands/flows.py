"""`pishkhan flows …`: what an operator runs to change what citizens see, safely.

validate and test check a change; publish stores it as a new version that every worker serves
within seconds; versions, export, diff and rollback look back and undo. The YAML in config/ is where
changes are written and reviewed; the store's versions are what is served.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from flows.errors import PishkhanError
from gateway.actions import base_actions
from gateway.audit import cli_actor
from gateway.catalogue.flows import catalogue_warnings
from gateway.commands.common import config_option, report, settings_of
from gateway.content.diff import Side, content_diff
from gateway.content.model import FLOWS_DIR, Content, configured_content
from gateway.content.publish import Change, Outcome, Publisher
from gateway.content.store import ContentStore, UnknownVersion
from gateway.flowfiles import CheckedContent, check_content
from gateway.privacy.statement import configured_statement
from gateway.sessions import Sessions, session_lifetimes
from gateway.settings import Settings
from gateway.state.redis import open_redis_state
from gateway.store import Database


def draft_content(settings: Settings, folder: str | None) -> Content:
    """The content in `folder` (flows/ and catalogue.yaml, as `export` writes), else config/."""
    return configured_content(settings, Path(folder) if folder else None)


def validate(args: argparse.Namespace) -> int:
    """Check the flows and catalogue (config/, or a draft folder) as publish would, and the privacy statement
    as the gateway's start does (it is not content: always config/'s); exit 1 on any error."""
    try:
        settings = settings_of(args)
        checked = check_content(draft_content(settings, args.path), settings, base_actions())
        configured_statement(settings)
    except PishkhanError as error:
        return report(error)
    for warning in catalogue_warnings(checked.catalogue):  # the catalogue works; a person should still look
        print(f"warning: {checked.content.label('')}: {warning}", file=sys.stderr)
    flows = checked.flowset.flows
    print(f"ok: {len(flows)} flows, {sum(len(f.nodes) for f in flows.values())} nodes, {len(checked.catalogue.services)} services")
    return 0


def with_publisher(args: argparse.Namespace, work: Callable[[Settings, Publisher], Awaitable[int]]) -> int:
    """Run `work` with a publisher over the configured store (and Redis, to count conversations)."""
    async def go() -> int:
        settings = settings_of(args)
        db = await Database.of(settings).open()
        state = open_redis_state(settings.redis) if settings.redis.enabled else None
        sessions = Sessions(state, session_lifetimes(settings)) if state is not None else None
        try:
            return await work(settings, Publisher(settings, ContentStore(db), base_actions(), sessions))
        finally:
            if state is not None:
                await state.close()
            await db.close()

    try:
        return asyncio.run(go())
    except PishkhanError as error:
        return report(error)


def _moved(change: Change) -> str:
    if not change.removed:
        return "no node removed"
    moved = ("an unknown number of" if change.conversations_moved is None  # in the gateway's memory: it logs them as it moves them
             else str(change.conversations_moved))
    return f"{len(change.removed)} node(s) removed ({', '.join(sorted(change.removed)[:5])}{'…' if len(change.removed) > 5 else ''}); " \
           f"{moved} live conversation(s) on them will be moved to a surviving screen"


def print_outcome(outcome: Outcome, verb: str) -> None:
    """What a publish or rollback did, for the operator at the terminal."""
    change, version = outcome.change, outcome.version
    if change.unchanged and verb == "published":
        print(f"ok: nothing changed; version {version.number} is live")
        return
    was = f" (was {change.live.number})" if change.live else ""
    print(f"ok: version {version.number} {verb}{was}; {_moved(change)}; every worker serves it within seconds")


def publish(args: argparse.Namespace) -> int:
    """Check config/ (or `--from DIR`) and store it as the new live version."""
    async def work(settings: Settings, publisher: Publisher) -> int:
        change = await publisher.prepare_content(draft_content(settings, args.source))
        print_outcome(await publisher.publish(change, author=cli_actor(), note=args.note), "published")
        return 0
    return with_publisher(args, work)


def rollback(args: argparse.Namespace) -> int:
    """Serve an earlier version again."""
    async def work(settings: Settings, publisher: Publisher) -> int:
        print_outcome(await publisher.roll_back(args.version, by=cli_actor()), "is live again")
        return 0
    return with_publisher(args, work)


def _when(at: float) -> str:
    return datetime.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")


def versions(args: argparse.Namespace) -> int:
    """One line per version, newest first; the live one marked."""
    async def work(settings: Settings, publisher: Publisher) -> int:
        found, total = await publisher.store.versions(args.limit)
        for v in found:
            print(f"{'*' if v.live else ' '} {v.number}\t{_when(v.created_at)}\t{v.author}\t{v.note}")
        if total > len(found):
            print(f"({total - len(found)} older; --limit to see them)")
        if not found:
            print("no version yet: `pishkhan flows publish` (or the first `serve`) stores config/ as version 1")
        return 0
    return with_publisher(args, work)


def export(args: argparse.Namespace) -> int:
    """Write a version (default: the live one) as YAML in the config layout."""
    async def work(settings: Settings, publisher: Publisher) -> int:
        number = args.version or await publisher.store.live_number()
        if number is None:
            print("error: nothing is published yet", file=sys.stderr)
            return 1
        _, content = await publisher.store.get(number)
        folder = Path(args.dir)
        stale = sorted(p.name for p in (folder / FLOWS_DIR).glob("*.y*ml") if p.name not in content.flows)
        if stale and not args.prune:
            print(f"error: {folder / FLOWS_DIR} holds flow files version {number} does not have: {', '.join(stale)}; "
                  "they would be published with it (--prune deletes them)", file=sys.stderr)
            return 1
        for name in stale:
            (folder / FLOWS_DIR / name).unlink()
        written = content.write(folder)
        print(f"ok: version {number} written to {folder} ({len(written)} files)")
        return 0
    return with_publisher(args, work)


async def _side(settings: Settings, publisher: Publisher, ref: str | None) -> tuple[str, CheckedContent]:
    """A version number, `live`, or a draft folder (default: config/), checked."""
    if ref is None:
        label, content = "config/", configured_content(settings)
    elif ref == "live" or (ref.isascii() and ref.isdigit()):
        number = await publisher.store.live_number() if ref == "live" else int(ref)
        if number is None:
            raise UnknownVersion("nothing is published yet: `pishkhan flows publish` stores config/ as version 1")
        label, (_, content) = f"version {number}", await publisher.store.get(number)
    else:
        label, content = ref, configured_content(settings, Path(ref))
    return label, await publisher.check(content)


def diff(args: argparse.Namespace) -> int:
    """What changes from A (default: the live version) to B (default: config/), node by node and page by page."""
    async def work(settings: Settings, publisher: Publisher) -> int:
        (old_label, old), (new_label, new) = await _side(settings, publisher, args.a or "live"), await _side(settings, publisher, args.b)
        found = content_diff(Side(old.flowset, old.catalogue), Side(new.flowset, new.catalogue), settings)
        print(f"--- {old_label}\n+++ {new_label}")
        for line in found.lines():
            print(line)
        return 0
    return with_publisher(args, work)


async def _test(args: argparse.Namespace) -> int:
    # the whole gateway is loaded here only: publish, diff and the others start in half the time
    from gateway.assembly import open_gateway
    from gateway.transcripts import run_transcript, transcript_files

    settings = settings_of(args)
    files = transcript_files(Path(args.path))
    failures = []
    for path in files:
        # each transcript on a new scratch store, as if its citizen had never called: one
        # transcript's language choice or open session must not leak into the next one's
        with tempfile.TemporaryDirectory() as scratch:
            gateway = await open_gateway(settings.with_scratch_store(Path(scratch) / "transcripts.sqlite3"))
            try:
                found = await run_transcript(gateway, path)
            finally:
                await gateway.close()
        failures.extend(found)
        print(f"{'FAIL' if found else 'ok'}  {path}")
    for failure in failures:
        print(failure)
    print(f"{len(files) - len({f.transcript for f in failures})} passed, {len({f.transcript for f in failures})} failed")
    return 1 if failures or not files else 0


def test(args: argparse.Namespace) -> int:
    """Run transcript files; exit 1 when any expectation fails."""
    try:
        return asyncio.run(_test(args))
    except PishkhanError as error:
        return report(error)


def _positive(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a version number (1, 2, …)")
    return int(raw)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `flows` sub-commands."""
    flows = commands.add_parser("flows", help="check, publish and roll back flows and the catalogue").add_subparsers(
        dest="flows_command", required=True)
    check = flows.add_parser("validate", help="check config/ (or a draft folder) as publish would, and the privacy statement (exit 1 on error)")
    config_option(check)
    check.add_argument("path", nargs="?", help="a folder with flows/ and catalogue.yaml (default: config/)")
    check.set_defaults(handler=validate)
    run = flows.add_parser("test", help="run transcript files against the flows")
    config_option(run)
    run.add_argument("path", nargs="?", default="tests/transcripts", help="a transcript file or directory")
    run.set_defaults(handler=test)
    out = flows.add_parser("publish", help="check config/ and serve it as a new version on every worker")
    config_option(out)
    out.add_argument("--note", default="", help="why: shown in `flows versions` and the audit trail")
    out.add_argument("--from", dest="source", metavar="DIR", help="publish this folder (flows/, catalogue.yaml) instead of config/")
    out.set_defaults(handler=publish)
    back = flows.add_parser("rollback", help="serve an earlier version again")
    config_option(back)
    back.add_argument("version", nargs="?", type=_positive, help="default: the version before the live one")
    back.set_defaults(handler=rollback)
    listing = flows.add_parser("versions", help="list versions, newest first (* is live)")
    config_option(listing)
    listing.add_argument("--limit", type=_positive, default=20)
    listing.set_defaults(handler=versions)
    write = flows.add_parser("export", help="write a version as YAML (flows/, catalogue.yaml): publishing it gives the same version")
    config_option(write)
    write.add_argument("dir", help="where to write (config/ itself, to bring the live version into the files)")
    write.add_argument("--version", type=_positive, help="default: the live version")
    write.add_argument("--prune", action="store_true", help="delete flow files the version does not have")
    write.set_defaults(handler=export)
    compare = flows.add_parser("diff", help="what changes from A to B, node by node and as each channel's pages")
    config_option(compare)
    compare.add_argument("a", nargs="?", help="a version number, `live` or a draft folder (default: live)")
    compare.add_argument("b", nargs="?", help="a version number, `live` or a draft folder (default: config/)")
    compare.set_defaults(handler=diff)

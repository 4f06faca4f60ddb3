"""`pishkhan flows validate` and `pishkhan flows test`: what an operator runs after editing a flow."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from flows.errors import FlowError, FlowErrors, PishkhanError
from gateway.actions import base_actions
from gateway.assembly import open_gateway
from gateway.catalogue.flows import catalogue_warnings
from gateway.commands.common import config_option, report, settings_of
from gateway.flowfiles import build_flowset, read_catalogue
from gateway.settings import Settings
from gateway.transcripts import run_transcript, transcript_files


def validate(args: argparse.Namespace) -> int:
    """Check flows (a file, a directory, or the configured ones) with the catalogue; exit 1 on any error."""
    try:
        settings = settings_of(args)
        errors: list[FlowError] = []
        catalogue = read_catalogue(settings, errors)
        if errors:
            raise FlowErrors(errors)
        flow_dir = Path(args.path) if args.path else None
        flowset = build_flowset(settings, catalogue, base_actions(), flow_dir)
    except PishkhanError as error:
        return report(error)
    for warning in catalogue_warnings(catalogue):  # the catalogue works; a person should still look
        print(f"warning: {settings.path(settings.catalogue.file)}: {warning}", file=sys.stderr)
    nodes = sum(len(f.nodes) for f in flowset.flows.values())
    print(f"ok: {len(flowset.flows)} flows, {nodes} nodes, {len(catalogue.services)} services")
    return 0


async def _test(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    with tempfile.TemporaryDirectory() as scratch:
        settings = _scratch_settings(settings, Path(scratch))
        gateway = await open_gateway(settings)
        try:
            files = transcript_files(Path(args.path))
            failures = []
            for path in files:
                found = await run_transcript(gateway, path)
                failures.extend(found)
                print(f"{'FAIL' if found else 'ok'}  {path}")
        finally:
            await gateway.close()
    for failure in failures:
        print(failure)
    print(f"{len(files) - len({f.transcript for f in failures})} passed, {len({f.transcript for f in failures})} failed")
    return 1 if failures or not files else 0


def _scratch_settings(settings: Settings, scratch: Path) -> Settings:
    """Transcripts write requests to a throw-away store, never the real one."""
    return settings.updated({"store": {"path": str(scratch / "transcripts.sqlite3")}})


def test(args: argparse.Namespace) -> int:
    """Run transcript files; exit 1 when any expectation fails."""
    try:
        return asyncio.run(_test(args))
    except PishkhanError as error:
        return report(error)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `flows validate` and `flows test`."""
    flows = commands.add_parser("flows", help="validate and test flows").add_subparsers(dest="flows_command", required=True)
    check = flows.add_parser("validate", help="check flows for errors (exit 1 on error)")
    config_option(check)
    check.add_argument("path", nargs="?", help="a flow file or directory (default: the configured flows)")
    check.set_defaults(handler=validate)
    run = flows.add_parser("test", help="run transcript files against the flows")
    config_option(run)
    run.add_argument("path", nargs="?", default="tests/transcripts", help="a transcript file or directory")
    run.set_defaults(handler=test)

"""`pishkhan catalogue import`: load config/catalogue.yaml into the store the gateway serves from.

The gateway imports the YAML by itself only when the store has no services; after that the store
(and the operator API) is the source, and this command brings YAML edits in.
"""

from __future__ import annotations

import argparse
import asyncio

from flows.errors import FlowError, FlowErrors, PishkhanError
from gateway.actions import base_actions
from gateway.catalogue.store import CatalogueStore
from gateway.commands.common import config_option, report, settings_of
from gateway.flowfiles import build_flowset, read_catalogue
from gateway.store import Database


async def _import(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if args.file:
        settings = settings.updated({"catalogue": {"file": args.file}})
    errors: list[FlowError] = []
    catalogue = read_catalogue(settings, errors)
    if errors:
        raise FlowErrors(errors)
    build_flowset(settings, catalogue, base_actions())  # the menus it makes must be valid too
    db = await Database.of(settings).open()
    try:
        store = CatalogueStore(db, default_region=settings.flows.default_region)
        counts = await store.import_catalogue(catalogue)
        stored = await store.load()
    finally:
        await db.close()
    print(f"ok: imported {counts.categories} categories and {counts.services} services into {db.path} "
          f"({len(stored.services)} services in the store); restart the gateway to serve them")
    return 0


def import_catalogue(args: argparse.Namespace) -> int:
    """Import the catalogue; exit 1 listing every problem in the YAML."""
    try:
        return asyncio.run(_import(args))
    except PishkhanError as error:
        return report(error)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `catalogue import`."""
    catalogue = commands.add_parser("catalogue", help="the service catalogue").add_subparsers(dest="catalogue_command", required=True)
    run = catalogue.add_parser("import", help="import the catalogue YAML into the store (insert or update by id)")
    config_option(run)
    run.add_argument("--file", help="a catalogue YAML (default: the one named in the settings)")
    run.set_defaults(handler=import_catalogue)

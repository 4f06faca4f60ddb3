"""`pishkhan catalogue import`: bring config/catalogue.yaml's cards into a new content version.

Cards are inserted or replaced by id; a service only in the live version (created through the API)
stays. The version's diff says what the import overwrote, so an API edit is never lost unseen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flows.errors import FlowError, FlowErrors
from gateway.audit import cli_actor
from gateway.catalogue import Catalogue
from gateway.commands.common import config_option
from gateway.commands.flows import print_outcome, with_publisher
from gateway.content.model import Content, configured_content, read_content
from gateway.content.publish import Publisher
from gateway.flowfiles import parse_content_catalogue
from gateway.settings import Settings


def merged(live: Catalogue, incoming: Catalogue) -> Catalogue:
    """`live` with every agency, category and service of `incoming` inserted or replaced by id (new ones last)."""
    def by_id(old: tuple, new: tuple) -> tuple:
        fresh = {item.id: item for item in new}
        kept = [fresh.pop(item.id, item) for item in old]
        return (*kept, *fresh.values())

    return Catalogue(by_id(live.categories, incoming.categories), by_id(live.services, incoming.services),
                     by_id(live.agencies, incoming.agencies))


def import_catalogue(args: argparse.Namespace) -> int:
    """Import the catalogue into a new version; exit 1 listing every problem in the YAML."""
    async def work(settings: Settings, publisher: Publisher) -> int:
        path = Path(args.file) if args.file else settings.path(settings.catalogue.file)
        errors: list[FlowError] = []
        incoming = parse_content_catalogue(read_content(None, path), settings, errors)
        if errors:
            raise FlowErrors(errors)
        current = await publisher.current()
        if current is not None and current[1] is None:
            raise FlowErrors([FlowError(f"version {current[0].number}", None, "the live version fails this build's checks",
                                        "publish a version that passes (`pishkhan flows publish`) before importing")])
        live = current[1] if current is not None else None
        if live is None:  # a new store: the first version is config/flows with these cards
            content = Content(configured_content(settings).flows, {}).with_catalogue(incoming)
        else:
            content = Content(live.content.flows, {}).with_catalogue(merged(live.catalogue, incoming))
        change = await publisher.prepare(await publisher.check(content), current)
        print_outcome(await publisher.publish(change, author=cli_actor(), note=args.note or f"catalogue import of {path.name}"), "published")
        return 0
    return with_publisher(args, work)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `catalogue import`."""
    catalogue = commands.add_parser("catalogue", help="the service catalogue").add_subparsers(dest="catalogue_command", required=True)
    run = catalogue.add_parser("import", help="insert or replace the YAML's cards by id, as a new content version")
    config_option(run)
    run.add_argument("--file", help="a catalogue YAML (default: the one named in the settings)")
    run.add_argument("--note", help="why: shown in `flows versions` and the audit trail")
    run.set_defaults(handler=import_catalogue)

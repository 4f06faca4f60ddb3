"""Drop-off rates as the flow map's heat: per `flow:node` of the flows shown, drop-offs per visit
(0..1), over a period; nodes the flows no longer have (renamed or removed since) are left out."""

from __future__ import annotations

from flows.model import FlowSet
from gateway.analytics.period import Period
from gateway.analytics.queries import node_rows, node_totals
from gateway.store import Database


async def drop_heat(db: Database, flows: FlowSet, period: Period) -> dict[str, float]:
    """`flow:node` -> drop-off rate, for every node of `flows` that was visited in `period`."""
    heat = {}
    for row in node_totals(await node_rows(db, period)):
        flow, _, node = row["node"].partition(":")
        if row["drop_rate"] is not None and flow in flows.flows and node in flows.flows[flow].nodes:
            heat[row["node"]] = min(float(row["drop_rate"]), 1.0)
    return heat

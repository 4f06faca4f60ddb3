"""One period's numbers as the report and the console show them: per-node totals, per-channel
volumes by day, per-service figures by day and over the whole period, and the four charts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.analytics.charts import Bar, bar_chart, line_chart
from gateway.analytics.period import Period
from gateway.analytics.queries import RATINGS, channel_rows, csat_mean, node_rows, node_totals, pooled, series, service_rows
from gateway.analytics.words import WORDS
from gateway.calendar import WorkingCalendar
from gateway.store import Database, Row

_SUMMED = ("started", "submitted", "delivered", "delivered_on_time", "payments", "paid", "csat_answers", *(f"csat_{n}" for n in RATINGS))


@dataclass(frozen=True)
class Overview:
    """What a period holds (optionally one channel's part)."""

    period: Period
    channel: str | None
    nodes: list[Row]
    """Per node over the period, most drop-offs first."""
    channels: list[Row]
    """Per day and channel."""
    services: list[Row]
    """Per day, service and channel."""

    @property
    def empty(self) -> bool:
        return not (self.nodes or self.channels or self.services)

    def service_totals(self) -> list[Row]:
        """Per service over the period and its channels: the sums and their rates."""
        found: dict[str, Row] = {}
        seconds: dict[str, float] = {}
        for row in self.services:
            total = found.setdefault(row["service_id"], {"service_id": row["service_id"], **dict.fromkeys(_SUMMED, 0)})
            for name in _SUMMED:
                total[name] += row[name]
            seconds[row["service_id"]] = seconds.get(row["service_id"], 0.0) + (row["avg_submit_seconds"] or 0.0) * row["submitted"]
        for service_id, total in found.items():
            total.update(completion_rate=pooled([total], "submitted", "started"), sla_rate=pooled([total], "delivered_on_time", "delivered"),
                         payment_conversion=pooled([total], "paid", "payments"), csat_average=csat_mean([total]),
                         avg_submit_seconds=round(seconds[service_id] / total["submitted"], 1) if total["submitted"] else None)
        return [found[key] for key in sorted(found)]


async def overview(db: Database, calendar: WorkingCalendar, period: Period, channel: str | None = None,
                   services: frozenset[str] | None = None) -> Overview:
    """Read a period's numbers; with `services` (an agency scope's, gateway.scopes) only theirs, and none of the nodes'
    and channels' (the menus every agency shares: the national operator's numbers)."""
    if services is not None:
        return Overview(period, channel, [], [], await service_rows(db, calendar, period, channel, services))
    return Overview(period, channel, node_totals(await node_rows(db, period, channel)), await channel_rows(db, period, channel),
                    await service_rows(db, calendar, period, channel))


def charts(seen: Overview, lang: str, digits: Callable[[str], str], day_label: Callable[[str], str]) -> dict[str, str]:
    """The four charts in `lang`: drop-offs per node, conversations per channel by day, CSAT and SLA
    per service by day (keys: drops, volumes, csat, sla); `day_label` writes an ISO day as the page does."""
    words = {key: texts[lang] for key, texts in WORDS.items()}
    days = seen.period.days()
    bars = [Bar(row["node"], row["drops"], digits(f"{row['drops']} ({_percent(row['drop_rate'])})")) for row in seen.nodes if row["drops"]]
    return {
        "drops": bar_chart("chart-drops", words["drops_title"], bars),
        "volumes": line_chart("chart-volumes", words["volumes_title"], days,
                              series(seen.channels, days, "channel", lambda rows: sum(r["sessions"] for r in rows)),
                              digits=digits, day_label=day_label),
        "csat": line_chart("chart-csat", words["csat_title"], days, series(_answered(seen.services), days, "service_id", csat_mean),
                           digits=digits, day_label=day_label, top=5.0),
        "sla": line_chart("chart-sla", words["sla_title"], days,
                          series([r for r in seen.services if r["delivered"]], days, "service_id",
                                 lambda rows: pooled(rows, "delivered_on_time", "delivered")),
                          digits=digits, day_label=day_label, top=1.0, percent=True),
    }


def _answered(rows: list[Row]) -> list[Row]:
    return [row for row in rows if row["csat_answers"]]


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"

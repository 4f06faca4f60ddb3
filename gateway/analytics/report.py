"""The `pishkhan report` file: one self-contained HTML page (its style inside, the charts as inline
SVG, no script, no link to anything), so it can be mailed, archived or opened offline."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path

import jdatetime
import jinja2
import markupsafe

from flows.normalise import to_persian_digits
from gateway.analytics.overview import Overview, charts
from gateway.analytics.words import WORDS

_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
                                undefined=jinja2.StrictUndefined)


def render_report(seen: Overview, lang: str, made: datetime.datetime, names: Mapping[str, str], flush_interval: float) -> str:
    """The report page in `lang` (fa: right to left, Persian digits); `names`: service titles by id."""
    words = {key: texts[lang] for key, texts in WORDS.items()}

    def digits(text: object) -> str:
        return to_persian_digits(str(text)) if lang == "fa" else str(text)

    def num(value: float | None) -> str:
        return "—" if value is None else digits(f"{value:,}" if isinstance(value, int) else f"{value:,.1f}".removesuffix(".0"))

    def day_label(iso: str) -> str:
        if lang != "fa":
            return iso
        jalali = jdatetime.date.fromgregorian(date=datetime.date.fromisoformat(iso))
        return digits(f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}")

    def pct(rate: float | None) -> str:
        return "—" if rate is None else digits(f"{rate * 100:.0f}%")

    return _TEMPLATES.get_template("report.html").render(
        lang=lang, dir="rtl" if lang == "fa" else "ltr", w=words, seen=seen, channel=seen.channel, names=names,
        # The charts escape every text they write.
        charts={key: markupsafe.Markup(svg) for key, svg in charts(seen, lang, digits, day_label).items()},
        period_text=words["period"].format(since=day_label(seen.period.since.isoformat()), until=day_label(seen.period.until.isoformat())),
        made_text=words["made"].format(when=digits(made.strftime("%Y-%m-%d %H:%M"))),
        counting_text=words["counting"].format(seconds=digits(f"{flush_interval:g}")),
        digits=digits, num=num, pct=pct)

"""The `pishkhan report` file: one self-contained HTML page (its style inside, the charts as inline
SVG, no script, no link to anything), so it can be mailed, archived or opened offline."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path

import jinja2

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

    def pct(rate: float | None) -> str:
        return "—" if rate is None else digits(f"{rate * 100:.0f}%")

    return _TEMPLATES.get_template("report.html").render(
        lang=lang, dir="rtl" if lang == "fa" else "ltr", w=words, seen=seen, channel=seen.channel, names=names,
        charts={key: jinja2.utils.markupsafe.Markup(svg) for key, svg in charts(seen, lang, digits).items()},  # charts escape every text they write
        period_text=words["period"].format(since=digits(seen.period.since.isoformat()), until=digits(seen.period.until.isoformat())),
        made_text=words["made"].format(when=digits(made.strftime("%Y-%m-%d %H:%M"))),
        counting_text=words["counting"].format(seconds=digits(f"{flush_interval:g}")),
        digits=digits, num=num, pct=pct)

"""The privacy statement operators write in `config/privacy.yaml`, checked strictly when the gateway starts.

Five sections, each a heading and a text in every language the flows speak: what is collected, why,
for how long, who sees it, how to ask. How long is never typed as a number: the texts say
`{retention_days}` and the gateway fills in `privacy.retention_days`, so the statement cannot promise
one period while the retention job keeps another. A `summary` (one or two sentences) is what an SMS
answer and the first USSD screen carry, with the address of the whole statement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from flows.gsm7 import sms_encoding
from flows.loader import read_yaml
from flows.paging import localise_digits
from flows.texts import LocalisedText, pick
from gateway.settings import Settings
from gateway.settings_base import SettingsError, section, settings_section

SECTIONS = ("collected", "why", "how_long", "who_sees", "how_to_ask")
"""The statement's sections, in the order they are read."""
RETENTION = "{retention_days}"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
PUBLIC_PATH = "/privacy"
"""Where the gateway serves the whole statement (gateway.privacy.page)."""
SUMMARY_PARTS = 3
"""SMS parts the `privacy` keyword's answer (the summary and the link) may take: 201 Persian characters."""


@settings_section
@dataclass(frozen=True)
class Part:
    """One section: a heading and its text."""

    heading: dict[str, str]
    text: dict[str, str]


@settings_section
@dataclass(frozen=True)
class Parts:
    """Exactly the five sections; a missing one is an error, as is an unknown one."""

    collected: Part
    why: Part
    how_long: Part
    who_sees: Part
    how_to_ask: Part


@settings_section
@dataclass(frozen=True)
class StatementFile:
    """`config/privacy.yaml` as written."""

    title: dict[str, str]
    summary: dict[str, str]
    sections: Parts


@dataclass(frozen=True)
class Statement:
    """The statement with the retention period filled in, ready for every channel."""

    title: LocalisedText
    summary: LocalisedText
    sections: tuple[tuple[LocalisedText, LocalisedText], ...]
    """(heading, text) in the order of SECTIONS."""
    url: str
    """The whole statement's public address."""

    def full(self, lang: str) -> str:
        """The whole statement as plain text (USSD pages it, bots send it): each heading starts its section's
        paragraph ("Why: ..."), so a USSD page never ends on a heading whose text is on the next page."""
        parts = [pick(self.title, lang)]
        parts += [f"{pick(heading, lang)}: {pick(text, lang)}" for heading, text in self.sections]
        return localise_digits("\n\n".join(parts), lang)

    def short(self, lang: str) -> str:
        """The summary and where to read the rest (an SMS answer)."""
        return localise_digits(f"{pick(self.summary, lang)}\n{self.url}", lang)


def _check_texts(where: str, text: Mapping[str, str], languages: Sequence[str], *, needs_retention: bool) -> None:
    missing = [lang for lang in languages if not str(text.get(lang, "")).strip()]
    if missing:
        raise SettingsError(f"`{where}`: no {', '.join(missing)} text; every text needs {', '.join(languages)}")
    unknown = sorted(set(text) - set(languages))
    if unknown:
        raise SettingsError(f"`{where}`: languages {', '.join(unknown)} are not in flows.languages ({', '.join(languages)})")
    for lang, value in text.items():
        wrong = sorted(set(_PLACEHOLDER.findall(value)) - {RETENTION})
        if wrong:
            raise SettingsError(f"`{where}.{lang}`: unknown placeholder {wrong[0]}; the only one is {RETENTION}")
        if needs_retention and RETENTION not in value:
            raise SettingsError(f"`{where}.{lang}`: must say {RETENTION} (filled in from privacy.retention_days), never a number of its own")


def parse_statement(data: object, *, where: str, languages: Sequence[str], retention_days: int, url: str) -> Statement:
    """The statement from its YAML data; SettingsError names the file, the key and what to do."""
    if not isinstance(data, Mapping):
        raise SettingsError(f"{where}: expected title, summary and sections at the top level")
    written = section(StatementFile, data, where)
    _check_texts(f"{where}: title", written.title, languages, needs_retention=False)
    _check_texts(f"{where}: summary", written.summary, languages, needs_retention=False)
    for name in SECTIONS:
        part: Part = getattr(written.sections, name)
        _check_texts(f"{where}: sections.{name}.heading", part.heading, languages, needs_retention=False)
        _check_texts(f"{where}: sections.{name}.text", part.text, languages, needs_retention=name == "how_long")

    def filled(text: Mapping[str, str]) -> LocalisedText:
        return {lang: value.replace(RETENTION, str(retention_days)) for lang, value in text.items()}

    parts = tuple((filled(getattr(written.sections, n).heading), filled(getattr(written.sections, n).text)) for n in SECTIONS)
    return Statement(filled(written.title), filled(written.summary), parts, url)


def load_statement(file: Path, *, languages: Sequence[str], retention_days: int, public_base_url: str) -> Statement:
    """Read and check the statement file (`privacy.statement`)."""
    try:
        data = read_yaml(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{file}: the privacy statement is missing (privacy.statement); copy config/privacy.yaml") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{file}: not valid YAML: {exc}") from None
    return parse_statement(data, where=str(file), languages=languages, retention_days=retention_days,
                           url=public_base_url.rstrip("/") + PUBLIC_PATH)


def configured_statement(settings: Settings) -> Statement:
    """The statement `privacy.statement` names, checked as the gateway's start and `pishkhan flows validate`
    check it; SettingsError when it is wrong or its SMS summary is longer than a summary (SUMMARY_PARTS).
    Like HELP's, the answer is one text, not a page of a menu, so `sms.max_segments` does not bind it."""
    languages = tuple(settings.flows.languages)
    file = settings.path(settings.privacy.statement)
    statement = load_statement(file, languages=languages, retention_days=settings.privacy.retention_days,
                               public_base_url=settings.server.public_base_url)
    for lang in languages:
        segments = sms_encoding(statement.short(lang)).segments
        if segments > SUMMARY_PARTS:
            raise SettingsError(f"{file}: `summary.{lang}` with the link ({statement.url}) is {segments} SMS parts; "
                                f"at most {SUMMARY_PARTS}: shorten the summary")
    return statement

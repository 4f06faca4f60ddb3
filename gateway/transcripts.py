"""Transcripts: YAML files of what a citizen sends and what they must see, run against real flows.

```yaml
name: browse a service card
channel: ussd            # ussd | sms | telegram
msisdn: "+989121234567"
short_number: "4000"     # sms: the number texted (its flow and keywords apply)
steps:
  - dial: "*4#"          # a new session (USSD); or `send: text`
    expect: ["Language"]
  - send: "2"
    expect: ["Government services"]
    not: ["Error"]
  - send: "1"
    end: false           # optional: whether the conversation must end here
    remember: {code: "Tracking code: ([0-9]+)"}   # optional: keep a value seen (group 1, else the match)
  - send: "{code}"       # ... and send it later
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.gsm7 import ussd_budget_used
from flows.loader import read_yaml
from flows.normalise import normalise_input
from flows.texts import substitute
from gateway.runtime import Gateway
from gateway.simulated import SimulatedCitizen


@dataclass(frozen=True)
class StepFailure:
    """Which step of which transcript failed, and what the citizen saw instead."""

    transcript: str
    step: int
    message: str
    seen: str

    def __str__(self) -> str:
        return f"{self.transcript}: step {self.step}: {self.message}\n--- the citizen saw ---\n{self.seen}\n---"


def transcript_files(path: Path) -> list[Path]:
    """Transcript files under a directory (or the one file)."""
    return [path] if path.is_file() else sorted(path.rglob("*.yaml"))


def _check(name: str, number: int, step: dict[str, Any], shown: str, end: bool, gateway: Gateway, channel: str) -> Iterator[StepFailure]:
    flat = normalise_input(shown)
    for wanted in step.get("expect", []) or []:
        if normalise_input(str(wanted)) not in flat:
            yield StepFailure(name, number, f"expected to see {wanted!r}", shown)
    for unwanted in step.get("not", []) or []:
        if normalise_input(str(unwanted)) in flat:
            yield StepFailure(name, number, f"did not expect to see {unwanted!r}", shown)
    if "end" in step and bool(step["end"]) != end:
        yield StepFailure(name, number, "expected the conversation to end" if step["end"] else "the conversation ended", shown)
    if channel == "ussd":
        used, limit = ussd_budget_used(shown, *gateway.settings.ussd.limits(None))
        if used > limit:
            yield StepFailure(name, number, f"page is {used} characters; the limit is {limit}", shown)


def _remember(name: str, number: int, step: dict[str, Any], shown: str, memory: dict[str, str]) -> Iterator[StepFailure]:
    """Keep values the citizen saw (a tracking code is random) for later `{name}` in `send`."""
    flat = normalise_input(shown)
    for var, pattern in (step.get("remember") or {}).items():
        match = re.search(str(pattern), flat)
        if match is None:
            yield StepFailure(name, number, f"expected to see something matching {pattern!r} to remember as {var}", shown)
            continue
        memory[str(var)] = match.group(1) if match.groups() else match.group(0)


async def run_transcript(gateway: Gateway, path: Path) -> list[StepFailure]:
    """Play one transcript through the gateway's channel services; every failed expectation is listed."""
    data = read_yaml(path.read_text(encoding="utf-8")) or {}  # noqa: ASYNC240 (a small file, read by the CLI)
    name = str(data.get("name") or path.name)
    channel = str(data.get("channel", "ussd"))
    citizen = SimulatedCitizen(gateway, channel, str(data.get("msisdn", "+989120000000")), data)
    failures: list[StepFailure] = []
    memory: dict[str, str] = {}
    for number, step in enumerate(data.get("steps") or [], 1):
        if "dial" in step:
            seen = await citizen.dial(str(step["dial"]))
        else:
            seen = await citizen.send(substitute(str(step.get("send", "")), memory, "en"))
        shown, end = seen.text, seen.end
        failures.extend(_check(name, number, step, shown, end, gateway, channel))
        failures.extend(_remember(name, number, step, shown, memory))
    return failures

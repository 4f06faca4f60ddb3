"""Every shipped transcript runs green against the shipped flows, through the same runner operators use."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.app import open_gateway
from gateway.transcripts import run_transcript, transcript_files

TRANSCRIPTS = transcript_files(Path(__file__).parent / "transcripts")


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
async def test_transcript(path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    gateway = await open_gateway(settings)
    try:
        failures = await run_transcript(gateway, path)
    finally:
        await gateway.close()
    assert not failures, "\n".join(map(str, failures))


async def test_a_wrong_expectation_is_reported(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text('name: wrong\nsteps:\n  - dial: "*4#"\n    expect: ["Welcome to Narnia"]\n', encoding="utf-8")
    gateway = await open_gateway(settings)
    try:
        failures = await run_transcript(gateway, bad)
    finally:
        await gateway.close()
    assert len(failures) == 1 and "Welcome to Narnia" in failures[0].message

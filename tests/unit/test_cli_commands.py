"""`pishkhan <command>` loads only that command's module; anything else gets the full parser."""

from __future__ import annotations

import subprocess
import sys

from gateway_process import ROOT

from gateway.cli import chosen_command
from gateway.transcripts import transcript_files


def test_the_command_is_found_past_the_config_option() -> None:
    assert chosen_command(["--config", "flows", "audit", "--limit", "3"]) == "audit"   # a config folder named like a command
    assert chosen_command(["flows", "publish", "--note", "serve"]) == "flows"
    assert chosen_command(["--help"]) is None and chosen_command(["nonsense"]) is None and chosen_command([]) is None


def test_a_content_command_does_not_load_the_server() -> None:
    probe = "import sys; from gateway.cli import parser, chosen_command; parser(chosen_command(sys.argv[1:])); " \
            "print('gateway.app' in sys.modules, 'gateway.assembly' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe, "flows", "publish"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.split() == ["False", "False"]
    everything = subprocess.run([sys.executable, "-c", probe, "--help"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert everything.stdout.split() == ["True", "True"]


def test_the_simulator_never_joins_a_sentinel_redis_nor_the_real_store(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Its sessions and streams would mix with the running workers' (a simulated submit sent for real)."""
    from gateway.settings import load_settings

    live = load_settings(ROOT / "config", environ={"PISHKHAN_REDIS_SENTINELS": "10.0.0.5:26379", "PISHKHAN_REDIS_SERVICE_NAME": "main",
                                                   "PISHKHAN_REDIS_PASSWORD": "s3cret", "PISHKHAN_STORE_URL": "postgresql://db/pishkhan"})
    assert live.redis.enabled
    trial = live.with_scratch_store(tmp_path / "trial.sqlite3")
    assert not trial.redis.enabled and trial.store_url() == f"sqlite:///{tmp_path / 'trial.sqlite3'}"


def test_flows_test_runs_each_transcript_as_a_new_citizen() -> None:
    """The English and the Persian transcript share a number: run one after the other on one store,
    the second met the first's language choice and failed, though each passes on its own."""
    run = subprocess.run([sys.executable, "-m", "gateway", "flows", "test", "tests/transcripts"], cwd=ROOT,
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    shipped = len(transcript_files(ROOT / "tests" / "transcripts"))
    assert run.stdout.splitlines()[-1] == f"{shipped} passed, 0 failed", run.stdout[-2000:]
    assert run.returncode == 0

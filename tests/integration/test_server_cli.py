"""`pishkhan simulate` keeps out of the production store and out of the conversation's way, and
`pishkhan serve --help` shows the port the settings and environment put in effect."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import redis
from gateway_process import ROOT, gateway_env
from redis_server import RedisServer

# Dial, English, then a service with a fee to its receipt (as tests/integration/test_kill9.py walks it).
SUBMISSION = "\n".join(["*4#", "2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"]) + "\n"


def simulate(env: dict[str, str], *args: str) -> str:
    """A terminal session of `pishkhan simulate`: what the person at the keyboard sees (stdout and stderr together)."""
    done = subprocess.run([sys.executable, "-m", "gateway", "simulate", *args], cwd=ROOT, env=env, input=SUBMISSION,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
    assert "Tracking code:" in done.stdout, done.stdout
    return done.stdout


def requests_in(store: Path) -> int:
    with sqlite3.connect(store) as conn:
        return conn.execute("SELECT count(*) FROM requests").fetchone()[0]


def test_simulate_leaves_the_configured_store_alone(tmp_path: Path) -> None:
    production = tmp_path / "pishkhan.sqlite3"
    simulate(gateway_env(production, PISHKHAN_SERVER_LOG_LEVEL="INFO"))
    assert not production.exists()   # nothing for the next `serve` to send


def test_simulate_keeps_what_it_submits_in_the_store_named(tmp_path: Path) -> None:
    production, kept = tmp_path / "pishkhan.sqlite3", tmp_path / "trial.sqlite3"
    simulate(gateway_env(production), "--store", str(kept))
    assert requests_in(kept) == 1
    assert not production.exists()


def test_simulate_leaves_the_configured_redis_alone(tmp_path: Path, redis_server: RedisServer) -> None:
    """The workers' outbox stream and sessions live there: a simulated receipt would be sent for real."""
    simulate({**gateway_env(tmp_path / "pishkhan.sqlite3"), "PISHKHAN_REDIS_URL": redis_server.url})
    assert redis.Redis.from_url(redis_server.url).dbsize() == 0


def test_no_log_line_interrupts_the_conversation(tmp_path: Path) -> None:
    screen = simulate(gateway_env(tmp_path / "pishkhan.sqlite3", PISHKHAN_SERVER_LOG_LEVEL="INFO"))
    conversation = screen[screen.index("Type what the citizen sends"):]
    logged = [line for line in conversation.splitlines() if " INFO " in line or " WARNING " in line]
    assert logged == []


def serve_help(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "gateway", *args], cwd=ROOT, env={**env, "COLUMNS": "1000"},  # no wrapping
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_serve_help_shows_the_port_from_the_environment(tmp_path: Path) -> None:
    text = serve_help(gateway_env(tmp_path / "s.sqlite3", PISHKHAN_SERVER_PORT="9123"), "serve", "--help")
    assert "In effect: http://127.0.0.1:9123 (the port from PISHKHAN_SERVER_PORT; --port overrides it)." in text


def test_serve_help_shows_the_port_from_the_config_given_before_or_after_serve(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    settings = config / "settings.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("  port: 8080\n", "  port: 8181\n"), encoding="utf-8")
    env = gateway_env(tmp_path / "s.sqlite3")
    expected = f"In effect: http://127.0.0.1:8181 (the port from server.port in {settings}; PISHKHAN_SERVER_PORT or --port override it)."
    assert expected in serve_help(env, "--config", str(config), "serve", "--help")
    assert expected in serve_help(env, "serve", "--config", str(config), "--help")


def test_a_port_that_is_not_one_is_refused_by_name(tmp_path: Path) -> None:
    for port, message in (("70000", "port: must be at most 65535"), ("٨٠٨٠", "port: must be a whole number in the digits 0-9"),
                          ("8_080", "port: must be a whole number in the digits 0-9")):
        done = subprocess.run([sys.executable, "-m", "gateway", "serve", "--port", port], cwd=ROOT, env=gateway_env(tmp_path / "s.sqlite3"),
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 2 and f"argument --port: {message}" in done.stderr, (port, done.stderr)

"""Schemathesis keeps the operator API and its OpenAPI document honest with each other.

A real `pishkhan serve` on a scratch SQLite file, an admin token made by `pishkhan tokens create`,
and schemathesis 4 with every check (no 5xx, answers and headers as documented, invalid data
refused, valid data accepted, 405 with Allow, auth not ignored...) over every operation, in its
coverage, fuzzing and stateful phases. Bounded in examples so the whole test stays well under a
minute; the seed is fixed so a failure replays. One worker: with two threads, hypothesis's ast.parse
of its filter lambdas trips CPython 3.11's "AST constructor recursion depth mismatch" now and then.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway_process import store_setting
from test_kill9 import ROOT, serve, ussd

# Valid by the document yet refused by catalogue rules no schema can state (a parent that does not
# exist, a title the USSD page cannot fit, min above max), by the lifecycle (a reason for `rejected`, an answer for `answered`), by
# a range (an audit's, feedback's or an analytics period's `until` before its `since`) or by the clock (a poll closing in the past,
# a poll's screen the USSD page cannot fit) or by an Idempotency-Key sent before with another body: these operations document
# 422 for that, so a schema-valid request may get it.
CONFIG = """
[checks.positive_data_acceptance]
enabled = true

[[operations]]
include-operation-id-regex = "^((create|replace|update|retire)Service|transition(Request|Requests|Complaint)|publishVersion|rollBack|listAudit)$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-operation-id-regex = "^openConsultation$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

[[operations]]
include-operation-id-regex = "^(listFeedback|feedbackSummary|analytics(Nodes|Channels|Services))$"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "422"]

# Every valid card rebuilds and checks all menus (about 40 ms): the coverage phase's hundreds of valid
# cards alone took a minute, so it sends these operations only its invalid ones; fuzzing and stateful
# testing still send valid cards.
[[operations]]
include-operation-id-regex = "^(createService|replaceService|updateService|retireService|publishVersion)$"
phases.coverage.generation.mode = "negative"
"""
EXAMPLES = 20
# `use_after_free` is left out: the API deletes nothing. DELETE /services/{id} retires a card (off the
# menus, kept for the history and status lookups of its requests), so the card is still there to GET.
SEED = 20261130


def _admin_token(store: str) -> str:
    """A token made the way an operator makes one."""
    env = {**os.environ, **store_setting(store)}
    done = subprocess.run([sys.executable, "-m", "gateway", "tokens", "create", "--role", "admin", "--name", "fuzz"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_the_api_answers_as_its_document_says(tmp_path: Path, store_url: str) -> None:
    store, config = store_url, tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    with serve(store) as (_, base):
        ussd(base, ["2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"])  # a request, a payment and outbox rows to list
        token = _admin_token(store)
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", f"{base}/api/v1/openapi.json",
             "--checks", "all", "--exclude-checks", "use_after_free", "--max-examples", str(EXAMPLES), "--seed", str(SEED),
             "--generation-database", "none",
             "--header", f"Authorization: Bearer {token}", "--no-color", "--request-timeout", "10",
             "--suppress-health-check", "all"],  # hypothesis's data-generation speed checks judge the machine, not the API
            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    assert "43/43" in run.stdout  # every operation was reached

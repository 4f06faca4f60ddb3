"""Prometheus multiprocess mode for `serve --workers N`, kept by the supervisor.

Each worker writes its counters to files of its own in PROMETHEUS_MULTIPROC_DIR; a scrape answered
by any worker merges them all. The directory must be named before a worker makes its first metric
(`serve` sets it before it forks), must start empty (files of an earlier run would add its counts
to this one's), and a dead worker's files are marked (`mark_process_dead`: its gauges go; its
counters stay, so totals never go backwards when a worker is replaced).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import multiprocess

ENV = "PROMETHEUS_MULTIPROC_DIR"


class MultiprocessDirectory:
    """The directory of one `serve --workers N` run: the operator's (emptied of its *.db files) or a
    temporary one this run removes at its end."""

    def __init__(self) -> None:
        given = os.environ.get(ENV)
        self.owned = not given
        self.path = Path(given or tempfile.mkdtemp(prefix="pishkhan-metrics-"))
        self.path.mkdir(parents=True, exist_ok=True)
        for stale in self.path.glob("*.db"):
            stale.unlink()
        os.environ[ENV] = str(self.path)  # inherited by every worker forked from now on

    def worker_died(self, pid: int) -> None:
        """A worker has exited: its live gauges are dropped from the merged figures."""
        multiprocess.mark_process_dead(pid, str(self.path))

    def close(self) -> None:
        """At the end of the run: remove the directory if this run made it."""
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)
            os.environ.pop(ENV, None)

"""A throwaway PostgreSQL for benches: Debian's binaries, initdb in a scratch directory (as `nobody`
when run as root: PostgreSQL refuses root), loopback only.

Unlike the tests' cluster, fsync stays ON by default: a bench measures what production would pay for
a durable commit (`--pg-fsync off` shows the difference).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO

START_TIMEOUT_S = 30.0


class Postgres:
    """One PostgreSQL cluster we own, stopped (immediately: it is thrown away) by `stop()`."""

    def __init__(self, port: int, log: IO[bytes], *, fsync: bool = True) -> None:
        directory = Path(tempfile.mkdtemp(prefix="pishkhan-bench-pg-"))  # its own: `nobody` cannot enter the caller's
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise SystemExit("PostgreSQL is not installed: `apt-get install postgresql`")
        self.bin = Path(found[-1]).parent
        self.data = directory / "pgdata"
        self.port = port
        self.log = log
        self.fsync = fsync
        self.user = "nobody" if os.geteuid() == 0 else None
        if self.user:
            os.chown(directory, pwd.getpwnam(self.user).pw_uid, -1)
        self.socket_dir = directory

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run([*prefix, *command], check=True, cwd=self.socket_dir, stdout=self.log, stderr=subprocess.STDOUT)

    def start(self) -> Postgres:
        """initdb (once) and start; returns when it accepts connections."""
        if not self.data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8")
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=300"
        options += "" if self.fsync else " -c fsync=off -c synchronous_commit=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.socket_dir / "postgres.log"), "-w",
                  "-t", str(int(START_TIMEOUT_S)), "-o", options, "start")
        return self

    def database(self, name: str) -> str:
        """A new empty database; its URL."""
        self._run(str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
                  f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # already down
        shutil.rmtree(self.socket_dir, ignore_errors=True)

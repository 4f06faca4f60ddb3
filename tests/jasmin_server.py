"""A real Jasmin SMS gateway for interop tests, with everything it needs, all private to one test module.

Jasmin (PyPI `jasmin`, in `.jasmin/venv`, made by .ci/run) needs RabbitMQ and Redis: each run gets
its own epmd (Erlang's port mapper, on a free port, so parallel or leftover nodes never meet), its own
RabbitMQ node (own node name, ports, mnesia and log directories under the test's temporary
directory), its own redis-server, and a `jasmind` whose ROOT_PATH is a temporary directory (so its
jasmin.cfg, store and logs are there too) with every listener on a free port of 127.0.0.1. jasmind
runs the deliver_sm and DLR throwers and the DLR lookup in its own process (production runs them as
the deliversmd, dlrd and dlrlookupd daemons: the same code).

It is then configured through jCli by typing deploy/jasmin/pishkhan.jcli, as README.md tells an
operator to: a user and group for the HTTP API, an SMPP client connector (bound here to the test's
SMSC), a default MT route to it, an HTTP client connector calling Pishkhan's `/sms/inbound/jasmin`,
a default MO route to that. Every process is started in a session of its own and stopped by its
process group. Without Jasmin or RabbitMQ installed the test fails saying how to install them; it is
never skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from gateway_process import ROOT
from redis_server import RedisServer, free_port
from waiting import eventually_blocking

JASMIN_VENV = ROOT / ".jasmin" / "venv"
RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
JCLI_SCRIPT = ROOT / "deploy" / "jasmin" / "pishkhan.jcli"
START_TIMEOUT = 30.0
HTTP_USER, HTTP_PASSWORD = "pishkhan", "jasmin-pass"
"""deploy/jasmin/pishkhan.jcli's HTTP API user, with a password of the test's."""
SMPP_USER, SMPP_PASSWORD = "jasmin", "smsc-pw"
"""The account Jasmin binds to the test's SMSC with."""
_TELNET_COMMAND = re.compile(rb"\xff[\xfb-\xfe].|\xff[\xf0-\xfa]", re.S)
_TERMINAL_CODE = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
_PROMPT = re.compile(rb"(jcli : |> |Password: )$")
_LOGIN = re.compile(rb"Authentication required\.\s*$")


def jcli_script(changes: dict[tuple[str, str], str]) -> list[str]:
    """The commands of deploy/jasmin/pishkhan.jcli, notes left out, each `key value` named in `changes`
    by (command, key), e.g. ("smppccm", "port"), set to its new value."""
    lines, command, changed = [], "", set()
    for line in JCLI_SCRIPT.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        key = line.split(" ", 1)[0]
        if line.endswith(" -a"):
            command = key
        elif (command, key) in changes:
            line = f"{key} {changes[command, key]}"
            changed.add((command, key))
        lines.append(line)
    assert changed == set(changes), f"{JCLI_SCRIPT} does not set {set(changes) - changed}"
    return lines


def _installed(path: Path, what: str, how: str) -> Path:
    if not path.exists():
        pytest.fail(f"{what} is not installed ({path} is missing): {how} (.ci/run does)")
    return path


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class _Process:
    """A child in a session of its own, stopped by signalling its whole process group (Erlang's and
    Twisted's helpers go with it)."""

    def __init__(self, name: str, command: list[str], log: Path, env: dict[str, str], cwd: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out, env=env, cwd=cwd, start_new_session=True)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else "no log"

    def up(self, port: int) -> bool:
        assert self.process.poll() is None, f"{self.name} exited ({self.process.returncode}): {self.tail()}"
        return _listening(port)

    def stop(self) -> None:
        if self.process.poll() is None:
            with_group = os.getpgid(self.process.pid)
            os.killpg(with_group, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(with_group, signal.SIGKILL)
                self.process.wait(5)


class RabbitMQ:
    """One RabbitMQ node and its epmd, nothing shared with the system's (if any)."""

    def __init__(self, directory: Path) -> None:
        _installed(RABBITMQ_SERVER, "RabbitMQ", "`apt-get install rabbitmq-server`")
        self.directory = directory
        self.port, self.epmd_port, self.dist_port = free_port(), free_port(), free_port()
        self.processes: list[_Process] = []

    def start(self) -> RabbitMQ:
        home = self.directory / "home"   # the Erlang cookie is made here
        for sub in ("home", "mnesia", "log"):
            (self.directory / sub).mkdir()
        (self.directory / "enabled_plugins").write_text("[].\n")
        (self.directory / "rabbitmq-env.conf").write_text("")
        (self.directory / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        env = {
            **os.environ, "HOME": str(home), "ERL_EPMD_PORT": str(self.epmd_port), "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODENAME": f"pishkhan-test-{os.getpid()}-{self.port}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port), "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"), "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.directory / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.directory / "rabbitmq.pid"),
        }
        epmd = shutil.which("epmd")
        assert epmd, "epmd (Erlang, a dependency of rabbitmq-server) is not on PATH"
        self.processes.append(_Process("epmd", [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                                       self.directory / "epmd.log", env, self.directory))
        eventually_blocking(lambda: self.processes[0].up(self.epmd_port), START_TIMEOUT, "epmd listening")
        rabbit = _Process("rabbitmq-server", [str(RABBITMQ_SERVER)], self.directory / "rabbitmq.out", env, self.directory)
        self.processes.append(rabbit)
        eventually_blocking(lambda: rabbit.up(self.port), START_TIMEOUT, lambda: f"RabbitMQ accepting AMQP: {rabbit.tail()}", interval=0.1)
        return self

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@dataclass(frozen=True)
class Ports:
    http_api: int
    jcli: int
    smpp_server: int
    smpp_server_pb: int
    router_pb: int
    client_management: int


def jasmin_cfg(ports: Ports, *, amqp_port: int, redis_port: int, spec: Path, retry_delay: int) -> str:
    """jasmin.cfg: every listener on 127.0.0.1 and its own port; the throwers retry after
    `retry_delay` seconds (production default 30) and DLR lookups after 1 s (default 10)."""
    return f"""\
[smpp-server]
bind = 127.0.0.1
port = {ports.smpp_server}

[smpp-server-pb]
bind = 127.0.0.1
port = {ports.smpp_server_pb}

[client-management]
bind = 127.0.0.1
port = {ports.client_management}

[router]
bind = 127.0.0.1
port = {ports.router_pb}

[http-api]
bind = 127.0.0.1
port = {ports.http_api}

[jcli]
bind = 127.0.0.1
port = {ports.jcli}

[amqp-broker]
host = 127.0.0.1
port = {amqp_port}
spec = {spec}

[redis-client]
host = 127.0.0.1
port = {redis_port}

[sm-listener]
dlr_lookup_retry_delay = 1

[dlr]
dlr_lookup_retry_delay = 1

[deliversm-thrower]
retry_delay = {retry_delay}
max_retries = 3

[dlr-thrower]
retry_delay = {retry_delay}
max_retries = 3
"""


class JCli:
    """A jCli session over telnet: `run(line)` types a line and returns what Jasmin printed back."""

    def __init__(self, port: int, username: str = "jcliadmin", password: str = "jclipwd") -> None:
        self.conn = socket.create_connection(("127.0.0.1", port), timeout=10)
        self._read(_LOGIN)   # no `Username: ` prompt: that line is the cue to type the user name
        self.run(username)
        welcome = self.run(password)
        assert "Welcome" in welcome, f"jCli refused the login: {welcome}"

    def _read(self, until: re.Pattern[bytes] = _PROMPT) -> str:
        data = b""
        deadline = time.monotonic() + 10
        while not until.search(_TERMINAL_CODE.sub(b"", _TELNET_COMMAND.sub(b"", data))):
            assert time.monotonic() < deadline, f"jCli gave no prompt: {data!r}"
            chunk = self.conn.recv(4096)
            assert chunk, f"jCli closed the connection: {data!r}"
            data += chunk
        return _TERMINAL_CODE.sub(b"", _TELNET_COMMAND.sub(b"", data)).decode(errors="replace")

    def run(self, line: str) -> str:
        self.conn.sendall(line.encode() + b"\r\n")
        return self._read()

    def type(self, line: str) -> str:
        """One line of a jCli script; fails the test on any answer but success."""
        answer = self.run(line)
        assert not re.search(r"Error|Unknown|Incorrect|must|[Ff]ailed", answer), f"jCli refused `{line}`: {answer}"
        if line == "ok":
            assert "Successfully" in answer, f"jCli did not save: {answer}"
        elif line.startswith("smppccm -1"):
            assert "Successfully started" in answer, answer
        return answer

    def close(self) -> None:
        self.conn.close()


class Jasmin:
    """jasmind over its own RabbitMQ and Redis, configured to submit to an SMSC on `smsc_port` and to
    push texts to `inbound_url` (Pishkhan's `/sms/inbound/jasmin`)."""

    def __init__(self, directory: Path, *, smsc_port: int, inbound_url: str, retry_delay: int = 1) -> None:
        self.jasmind = _installed(JASMIN_VENV / "bin" / "jasmind.py", "Jasmin",
                                  "`python3 -m venv .jasmin/venv && .jasmin/venv/bin/pip install jasmin==0.11.1`, then the #1236 fix")
        self.directory = directory
        self.smsc_port, self.inbound_url, self.retry_delay = smsc_port, inbound_url, retry_delay
        self.ports = Ports(*(free_port() for _ in range(6)))
        self.rabbitmq = RabbitMQ(directory / "rabbitmq")
        self.redis = RedisServer(directory / "redis")
        self.process: _Process | None = None

    @property
    def http_api(self) -> str:
        return f"http://127.0.0.1:{self.ports.http_api}"

    @property
    def root(self) -> Path:
        return self.directory / "jasmin"

    def log(self, name: str) -> str:
        """One of jasmind's log files (messages.log, deliversm-thrower.log, dlr-thrower.log, http-api.log …)."""
        path = self.root / "var" / "log" / "jasmin" / name
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> Jasmin:
        (self.directory / "rabbitmq").mkdir()
        (self.directory / "redis").mkdir()
        self.rabbitmq.start()
        self.redis.start()
        config = self.root / "etc" / "jasmin"
        (config / "store").mkdir(parents=True)
        [spec] = JASMIN_VENV.glob("lib/python3*/site-packages/txamqp/specs/standard/amqp0-9-1.stripped.xml")
        (config / "jasmin.cfg").write_text(jasmin_cfg(self.ports, amqp_port=self.rabbitmq.port, redis_port=self.redis.port,
                                                      spec=spec, retry_delay=self.retry_delay))
        env = {**os.environ, "ROOT_PATH": str(self.root)}
        self.process = _Process("jasmind", [str(JASMIN_VENV / "bin" / "python"), str(self.jasmind), "--enable-deliver-thrower",
                                            "--enable-dlr-thrower", "--enable-dlr-lookup"], self.directory / "jasmind.out", env, self.directory)
        process = self.process
        eventually_blocking(lambda: process.up(self.ports.jcli) and process.up(self.ports.http_api), START_TIMEOUT,
                            lambda: f"jasmind's jCli and HTTP API listening: {process.tail()}", interval=0.1)
        self.configure()
        return self

    def configure(self) -> None:
        """Type deploy/jasmin/pishkhan.jcli, as README.md tells an operator to, with this test's SMSC and Pishkhan."""
        changes = {("user", "password"): HTTP_PASSWORD, ("smppccm", "host"): "127.0.0.1", ("smppccm", "port"): str(self.smsc_port),
                   ("smppccm", "username"): SMPP_USER, ("smppccm", "password"): SMPP_PASSWORD, ("httpccm", "url"): self.inbound_url}
        jcli = JCli(self.ports.jcli)
        try:
            for line in jcli_script(changes):
                jcli.type(line)
        finally:
            jcli.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        self.redis.stop()
        self.rabbitmq.stop()

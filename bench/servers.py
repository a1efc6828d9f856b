"""The servers under test: how each is started on a loopback port with its own data folder, stopped,
and watched (what it listens on, its CPU time, its resident memory now and at its peak)."""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_MODULES = BENCH / "node_modules"
LOOPBACK = "127.0.0.1"
LOOPBACK_ADDRESSES = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def package_version(name: str) -> str | None:
    import json

    manifest = NODE_MODULES / name / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text())["version"])


@dataclass
class ServerSpec:
    key: str  # short name: pod, css, nss, bare
    label: str  # for the table
    command: list[str]
    data_dir: Path | None
    port: int
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    version: str | None = None

    @property
    def origin(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


def pod_spec(port: int, data_dir: Path) -> ServerSpec:
    pod = ROOT / ".venv" / "bin" / "pod"
    command = [str(pod), "serve", "--host", LOOPBACK, "--port", str(port), "--data-dir", str(data_dir)]
    from importlib.metadata import version

    return ServerSpec("pod", "pod", command, data_dir, port, version=version("pod"))


def _node_env() -> dict[str, str]:
    return {"NODE_OPTIONS": f"--require {BENCH / 'loopback.cjs'}", "NODE_ENV": "production"}


def css_spec(port: int, data_dir: Path) -> ServerSpec:
    server = NODE_MODULES / "@solid" / "community-server" / "bin" / "server.js"
    command = [
        "node",
        str(server),
        "-c",
        "@css:config/file-root.json",
        "-f",
        str(data_dir),
        "-p",
        str(port),
        "-b",
        f"http://{LOOPBACK}:{port}/",
        "-l",
        "warn",
    ]
    version = package_version("@solid/community-server")
    return ServerSpec("css", "CSS", command, data_dir, port, _node_env(), BENCH, version)


OPEN_SERVER_ACL = """@prefix acl: <http://www.w3.org/ns/auth/acl#>.
@prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#public> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>;
    acl:mode acl:Read, acl:Write, acl:Append, acl:Control.
"""


def nss_spec(port: int, data_dir: Path, work_dir: Path) -> ServerSpec:
    """NSS 6 with WebID and so with Web Access Control on, like pod and CSS, over plain HTTP (it
    uses TLS only when given a key and certificate). Its npm package lacks the dot-files of the
    server template it copies into its config folder at start (`default-templates/server/.acl`),
    so that folder is made here, complete, with a root ACL as open as CSS's file-root config."""
    package = NODE_MODULES / "solid-server"
    config = work_dir / "config"
    templates = config / "templates" / "server"
    if not templates.exists():
        shutil.copytree(package / "default-templates" / "server", templates)
        (templates / ".acl").write_text(OPEN_SERVER_ACL)
    command = [
        "node",
        str(package / "bin" / "solid"),
        "start",
        "--quiet",
        "--root",
        str(data_dir),
        "--config-path",
        str(config),
        "--db-path",
        str(work_dir / "db"),
        "--port",
        str(port),
        "--server-uri",
        f"http://{LOOPBACK}:{port}",
    ]
    version = package_version("solid-server")
    return ServerSpec("nss", "NSS", command, data_dir, port, _node_env(), work_dir, version)


def bare_spec(port: int) -> ServerSpec:
    command = [sys.executable, str(BENCH / "baseline.py"), "--host", LOOPBACK, "--port", str(port)]
    return ServerSpec("bare", "bare aiohttp", command, None, port)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _status_kib(pid: int, field_name: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class ServerProcess:
    """One running server (its whole process tree)."""

    def __init__(self, spec: ServerSpec, log_dir: Path) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.key}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.sampled_peak = 0
        self.peak_resettable = True

    def start(self, ready_path: str, timeout: float = 180.0) -> float:
        """Start the server; seconds from exec to the first 200 answer for `ready_path`."""
        env = os.environ | self.spec.env
        with open(self.log_path, "ab") as log:
            began = time.perf_counter()
            self.process = subprocess.Popen(
                self.spec.command,
                cwd=self.spec.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.label} exited at start: {self.log_tail()}")
            if self._answers(ready_path):
                return time.perf_counter() - began
            if time.perf_counter() - began > timeout:
                self.stop()
                raise RuntimeError(f"{self.spec.label} did not answer within {timeout:.0f} s")
            time.sleep(0.01)

    def log_tail(self, lines: int = 6) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return "(no log)"
        return " | ".join(tail) or "(empty log)"

    def _answers(self, path: str) -> bool:
        connection = http.client.HTTPConnection(LOOPBACK, self.spec.port, timeout=5)
        try:
            connection.request("GET", "/" + path, headers={"Accept": "text/turtle"})
            response = connection.getresponse()
            response.read()
            return response.status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        # The server was started in a session of its own: end its process group, and nothing else.
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def processes(self) -> list[psutil.Process]:
        return _tree(self.pid) if self.alive else []

    def listening(self) -> list[tuple[str, int]]:
        """The TCP addresses the server's processes listen on."""
        found = []
        for proc in self.processes():
            try:
                connections = proc.net_connections(kind="inet")
            except psutil.Error:
                continue
            found += [(c.laddr.ip, c.laddr.port) for c in connections if c.status == psutil.CONN_LISTEN]
        return found

    def assert_loopback_only(self) -> list[tuple[str, int]]:
        addresses = self.listening()
        outside = [a for a in addresses if a[0] not in LOOPBACK_ADDRESSES]
        if outside:
            self.stop()
            raise RuntimeError(f"{self.spec.label} listens beyond loopback on {outside}: stopped it")
        if not addresses:
            raise RuntimeError(f"{self.spec.label} listens nowhere that psutil can see")
        return addresses

    def rss(self) -> int:
        """Resident memory of the whole process tree now, in bytes."""
        total = 0
        for proc in self.processes():
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self.processes():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def reset_peak(self) -> None:
        """Start a new peak: the kernel's high-water mark (VmHWM, reset through clear_refs) and ours."""
        self.sampled_peak = self.rss()
        for proc in self.processes():
            try:
                with open(f"/proc/{proc.pid}/clear_refs", "w") as clear:
                    clear.write("5")
            except OSError:
                self.peak_resettable = False

    def peak(self) -> int:
        """Peak resident memory since the last reset_peak, in bytes: the sum of the kernel's
        high-water marks over the tree when it can be reset, never less than what was sampled."""
        sampled = max(self.sampled_peak, self.rss())
        if not self.peak_resettable:
            return sampled
        marks = [_status_kib(proc.pid, "VmHWM") for proc in self.processes()]
        kernel = sum(m for m in marks if m) * 1024
        return max(kernel, sampled)

    def settle(self, limit: float = 10.0, busy: float = 0.05) -> float:
        """Wait until the server is idle (less than `busy` of a core over 0.2 s); seconds waited.
        Work a server still does for earlier requests must not steal CPU from the next run."""
        began = time.perf_counter()
        while time.perf_counter() - began < limit and self.alive:
            before = self.cpu_seconds()
            time.sleep(0.2)
            if self.cpu_seconds() - before < busy * 0.2:
                break
        return time.perf_counter() - began


class MemorySampler:
    """Samples the resident memory of every server every 50 ms, for process trees whose kernel
    high-water mark cannot be reset, and to stop a server whose memory runs away."""

    def __init__(self, servers: Iterable[ServerProcess], cap_bytes: int) -> None:
        self.servers = list(servers)
        self.cap = cap_bytes
        self.stopped_for_memory: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for server in self.servers:
                if not server.alive:
                    continue
                rss = server.rss()
                server.sampled_peak = max(server.sampled_peak, rss)
                if rss > self.cap:
                    self.stopped_for_memory[server.spec.key] = rss
                    server.stop()

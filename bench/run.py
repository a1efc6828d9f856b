"""`make bench`: pod against the Community Solid Server (CSS) and the Node Solid Server (NSS), side by
side in one run on this machine, with a bare aiohttp handler as the ceiling for Python.

Each server gets a loopback port and a data folder of its own, seeded with the same files; every
workload runs against every server in turn (the order rotating each round), at 32 connections for
throughput and at 1 for latency, each run by `load.py` in a process of its own. One table is
printed, and everything measured is written to `bench/results/<timestamp>.json` so that runs can
be compared.

    .venv/bin/python bench/run.py            # the full run (about 20 minutes)
    .venv/bin/python bench/run.py --quick    # under two minutes: shorter, no NSS, no 100k container
    .venv/bin/python bench/run.py --servers pod --workloads get-ttl,put --no-scale --profile
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import data
import psutil
from profile_summary import format_summary, summarise
from report import contention, summarise_runs, table, targets
from servers import (
    BENCH,
    LOOPBACK,
    ROOT,
    MemorySampler,
    ServerProcess,
    ServerSpec,
    bare_spec,
    css_spec,
    free_port,
    nss_spec,
    pod_spec,
)
from workloads import JSON_LD, N3, QUICK, TURTLE, WORKLOADS, Plan, Workload

MB = 1024 * 1024
Report = dict[str, Any]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _output(command: list[str], cwd: Path = ROOT) -> str:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    cpu: dict[str, str] = {}
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            name, _, value = line.partition(":")
            if not line.strip():
                break
            cpu.setdefault(name.strip(), value.strip())
    import aiohttp

    changed = _output(["git", "status", "--porcelain", "--", "pod"])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu.get("model name") or platform.processor(),
        "cpu_family_model": f"{cpu.get('cpu family', '?')}/{cpu.get('model', '?')}",
        "cpu_mhz": cpu.get("cpu MHz"),
        "virtual_machine": "hypervisor" in cpu.get("flags", "").split(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "node": _output(["node", "--version"]),
        "pod_commit": _output(["git", "rev-parse", "--short", "HEAD"]) + ("+changes" if changed else ""),
    }


def make_specs(plan: Plan, work: Path) -> list[ServerSpec]:
    specs = []
    for key in plan.servers:
        folder = work / key
        data_dir = folder / "data"
        data_dir.mkdir(parents=True)
        if key == "pod":
            specs.append(pod_spec(free_port(), data_dir))
        elif key == "css":
            specs.append(css_spec(free_port(), data_dir))
        elif key == "nss":
            specs.append(nss_spec(free_port(), data_dir, folder))
    if any(w.bare for w in WORKLOADS if w.key in plan.workloads):
        specs.append(bare_spec(free_port()))
    return specs


# Measuring --------------------------------------------------------------------------------------


def run_load(
    server: ServerProcess, workload: Workload, conns: int, plan: Plan, work: Path, tag: str
) -> dict[str, Any]:
    """One measured run of `load.py`; its result, with the server's peak RSS during it."""
    path = workload.path.replace("{tag}", tag)
    command = [sys.executable, str(BENCH / "load.py"), f"{server.spec.origin}/{path}", "-X", workload.method]
    if workload.accept:
        command += ["-H", f"Accept: {workload.accept}"]
    if workload.content_type:
        command += ["-H", f"Content-Type: {workload.content_type}"]
    if workload.body:
        body = work / f"{workload.key}.body"
        body.write_bytes(workload.body)
        command += ["--body-file", str(body)]
    command += ["--expect", ",".join(map(str, workload.expect)), "-c", str(conns)]
    command += [
        "-d",
        str(plan.duration[conns]),
        "--warmup",
        str(plan.warmup),
        "--warmup-requests",
        str(conns),
    ]
    command += ["--max-window", str(plan.max_window), "--timeout", str(plan.timeout)]
    command += ["--grace", str(plan.timeout + 30), "--json"]
    server.settle()
    waited = quiet.wait(plan)
    server.reset_peak()
    cpu = CpuAccount(server)
    began = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    others, steal = cpu.others(wall)
    if completed.returncode == 0:
        result: dict[str, Any] = json.loads(completed.stdout)
    else:
        result = {"failed": (completed.stderr.strip().splitlines() or ["?"])[-1]}
    result["peak_rss_mb"] = round(server.peak() / MB, 1)
    result["wall_s"] = round(wall, 2)
    # Cores busy with anything but this server and its load generator (other people's work on a
    # shared machine), and taken by the hypervisor: a run where either is high measured less.
    result["other_cores"] = round(others, 2)
    result["steal_cores"] = round(steal, 2)
    result["waited_for_quiet_s"] = round(waited, 1)
    return result


class QuietMachine:
    """Waits, before a run, for other work on the machine (other people's tests, say) to pause:
    runs on a shared machine then overlap less with it. The servers are idle by then (settled),
    so whatever CPU the machine uses beyond this process is someone else's."""

    def __init__(self) -> None:
        self.spent = 0.0

    @staticmethod
    def others(window: float = 0.3) -> float:
        before, ours = psutil.cpu_times(), CpuAccount.ours()
        time.sleep(window)
        busy = CpuAccount.busy(psutil.cpu_times()) - CpuAccount.busy(before)
        return max(0.0, busy - (CpuAccount.ours() - ours)) / window

    def wait(self, plan: Plan, threshold: float = 0.2) -> float:
        began = time.perf_counter()
        limit = min(plan.quiet_wait, plan.quiet_budget - self.spent)
        while time.perf_counter() - began < limit and self.others() > threshold:
            pass
        waited = time.perf_counter() - began
        self.spent += waited
        return waited


quiet = QuietMachine()


class CpuAccount:
    """CPU time over a run: the whole machine's, the server's, and this process's and its children's."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.machine = psutil.cpu_times()
        self.server_seconds = server.cpu_seconds()
        self.own = self.ours()

    @staticmethod
    def ours() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    @staticmethod
    def busy(times: Any) -> float:
        return float(sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq")))

    def others(self, wall: float) -> tuple[float, float]:
        """(cores used by other processes, cores stolen by the hypervisor), averaged over `wall`."""
        now = psutil.cpu_times()
        busy = self.busy(now) - self.busy(self.machine)
        mine = (self.server.cpu_seconds() - self.server_seconds) + (self.ours() - self.own)
        steal = getattr(now, "steal", 0.0) - getattr(self.machine, "steal", 0.0)
        return max(0.0, busy - mine) / wall, steal / wall


def fetch(
    server: ServerProcess,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes = b"",
    timeout: float = 120,
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(LOOPBACK, server.spec.port, timeout=timeout)
    try:
        connection.request(method, "/" + path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def check(server: ServerProcess) -> dict[str, str]:
    """Does each workload's request do what it should on this server? "ok" or what went wrong."""
    import pyoxigraph as ox

    found: dict[str, str] = {}

    def expect_triples(key: str, path: str, media_type: str, count: int) -> None:
        try:
            status, body = fetch(server, "GET", path, {"Accept": media_type})
            if status != 200:
                found[key] = f"status {status}"
                return
            fmt = ox.RdfFormat.JSON_LD if media_type == JSON_LD else ox.RdfFormat.TURTLE
            n = len(list(ox.parse(body, format=fmt, base_iri=f"{server.spec.origin}/{path}")))
            found[key] = "ok" if n == count else f"{n} triples (want {count})"
        except Exception as error:  # a check reports what it found; it never stops the run
            found[key] = f"{error.__class__.__name__}: {error}"

    expect_triples("get-ttl", data.SMALL, TURTLE, data.SMALL_TRIPLES)
    expect_triples("get-jsonld", data.SMALL, JSON_LD, data.SMALL_TRIPLES)
    expect_triples("get-large-ttl", data.LARGE, TURTLE, data.LARGE_TRIPLES)
    expect_triples("get-large-jsonld", data.LARGE, JSON_LD, data.LARGE_TRIPLES)
    found["get-container"] = check_listing(server, data.CONTAINER, data.CONTAINER_CHILDREN)[1]
    status, _ = fetch(server, "HEAD", data.SMALL, {})
    found["head"] = "ok" if status == 200 else f"status {status}"
    put = data.PUT_CONTAINER + "check.ttl"
    status, _ = fetch(server, "PUT", put, {"Content-Type": TURTLE}, data.small_document())
    found["put"] = "ok" if status == 201 else f"status {status}"
    status, _ = fetch(server, "PATCH", data.PATCHED, {"Content-Type": N3}, data.n3_insert_patch())
    if status in (200, 204, 205):
        expect_triples("patch", data.PATCHED, TURTLE, data.SMALL_TRIPLES + 1)
    else:
        found["patch"] = f"status {status}"
    return found


def check_listing(
    server: ServerProcess, container: str, children: int, timeout: float = 120
) -> tuple[float, str]:
    """GET a container as Turtle: seconds to its last byte, and "ok" when it lists exactly its
    children (as the seeding named them), or what is wrong."""
    import pyoxigraph as ox

    url = f"{server.spec.origin}/{container}"
    began = time.perf_counter()
    try:
        status, body = fetch(server, "GET", container, {"Accept": TURTLE}, timeout=timeout)
    except TimeoutError:
        return time.perf_counter() - began, f"timed out after {timeout:.0f} s"
    except OSError as error:
        return time.perf_counter() - began, f"{error.__class__.__name__}: {error}"
    seconds = time.perf_counter() - began
    if status != 200:
        return seconds, f"status {status}"
    contains = ox.NamedNode("http://www.w3.org/ns/ldp#contains")
    subject = ox.NamedNode(url)
    triples = ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri=url)
    listed = {t.object.value for t in triples if t.predicate == contains and t.subject == subject}
    width = len(str(children - 1))
    wanted = {url + data.child_name(i, width) for i in range(children)}
    if listed == wanted:
        return seconds, "ok"
    return seconds, f"lists {len(listed)} of {children} ({len(wanted - listed)} missing)"


def start(server: ServerProcess, plan: Plan) -> list[float]:
    """Start the server `plan.cold_starts` times (stopping it in between); each start's seconds from
    exec to its first 200 answer. It is left running."""
    seconds = []
    for i in range(plan.cold_starts):
        if i:
            server.stop()
        seconds.append(server.start(data.SMALL))
    return seconds


def scale(servers: list[ServerProcess], plan: Plan, sampler: MemorySampler) -> dict[str, dict[str, Any]]:
    """GET containers of 1k, 10k and 100k children, one request at a time: time, correctness and the
    growth of peak RSS over what the server held before. The children are written into each data
    folder just before, in the layout all three servers share."""
    results: dict[str, dict[str, Any]] = {s.spec.key: {} for s in servers}
    for children in plan.scale:
        container = data.scale_container(children)
        began = time.perf_counter()
        for server in servers:
            assert server.spec.data_dir is not None
            data.seed_container(server.spec.data_dir, container, children)
        log(
            f"scale: wrote {children:,} children into each data folder in {time.perf_counter() - began:.1f} s"
        )
        for server in servers:
            key = server.spec.key
            entry: dict[str, Any] = {}
            if not server.alive:
                entry["status"] = "stopped: RSS cap" if key in sampler.stopped_for_memory else "not running"
            elif any(e.get("status") != "ok" for e in results[key].values()):
                entry["status"] = "skipped: failed a smaller size"
            else:
                entry = scale_one(server, container, children, plan, sampler)
                log(
                    f"scale {children:>7,} {server.spec.label:>4}: {entry['seconds']} s, {entry['status']}, "
                    f"+{entry['rss_growth_mb']} MB"
                )
            results[key][str(children)] = entry
    return results


def scale_one(
    server: ServerProcess, container: str, children: int, plan: Plan, sampler: MemorySampler
) -> dict[str, Any]:
    server.settle()
    before = server.rss()
    server.reset_peak()
    # A first request, then the timed ones: a first request slower than 30 s is measurement enough.
    # The first one lists the folder as it is on disk, at every size; the ones after it may be
    # answered from a server's cache (pod keeps listings up to 1 MB: here the 1,000-child one).
    seconds, status = check_listing(server, container, children, plan.scale_timeout)
    first = seconds
    times = [seconds]
    if status == "ok" and seconds < 30 and plan.scale_repeats:
        times = []
        for _ in range(plan.scale_repeats):
            seconds, status = check_listing(server, container, children, plan.scale_timeout)
            times.append(seconds)
            if status != "ok":
                break
    peak = server.peak()
    if server.spec.key in sampler.stopped_for_memory:
        status = "stopped: RSS cap"
    return {
        "status": status,
        "seconds": round(statistics.median(times), 4),
        "times": [round(t, 4) for t in times],
        "first_seconds": round(first, 4),
        "rss_before_mb": round(before / MB, 1),
        "peak_rss_mb": round(peak / MB, 1),
        "rss_growth_mb": round((peak - before) / MB, 1),
    }


def profile(pod: ServerProcess, plan: Plan, work: Path, out: Path) -> dict[str, Any]:
    """py-spy on pod under each workload's c=32 load: collapsed stacks in `out`, top functions back."""
    spy = ROOT / ".venv" / "bin" / "py-spy"
    out.mkdir(parents=True, exist_ok=True)
    summaries: dict[str, Any] = {}
    under_profiler = replace(plan, duration={32: plan.profile_seconds - 1.5, 1: 1.0}, warmup=0.2)
    for workload in WORKLOADS:
        if workload.key not in plan.workloads:
            continue
        raw = out / f"{workload.key}.txt"
        # --nonblocking: pausing a process with many I/O threads at each sample slows it several-fold.
        command = [str(spy), "record", "--format", "raw", "--rate", "250", "--nonblocking", "--threads"]
        command += ["--duration", str(int(plan.profile_seconds)), "--pid", str(pod.pid), "-o", str(raw)]
        spy_process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        load = run_load(pod, workload, 32, under_profiler, work, f"profile-{workload.key}")
        spy_process.wait(timeout=plan.profile_seconds + 60)
        summary = summarise(raw.read_text()) if raw.exists() else {}
        summaries[workload.key] = {
            "rps_under_profiler": load.get("rps"),
            "collapsed_stacks": str(raw),
            **{kind: [asdict(row) for row in rows] for kind, rows in summary.items()},
        }
        log(f"profile of pod, {workload.title}, c=32 ({load.get('rps')} req/s under py-spy):")
        print(format_summary(summary), file=sys.stderr)
    return summaries


# The run ----------------------------------------------------------------------------------------


def measure(plan: Plan, missing: dict[str, str]) -> Report:
    work = Path(tempfile.mkdtemp(prefix="pod-bench-"))
    log(f"work folder {work}")
    report: Report = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": plan.quick,
        "plan": asdict(plan),
        "machine": machine(),
        "servers": {},
        "missing": missing,
        "runs": [],
        "summary": {},
    }
    running: dict[str, ServerProcess] = {}
    try:
        for spec in make_specs(plan, work):
            server = start_server(spec, plan, work, report)
            if server is not None:
                running[spec.key] = server
            elif spec.key == "pod":
                raise SystemExit(f"pod did not start, nothing to compare: {report['missing']['pod']}")
        with MemorySampler(list(running.values()), plan.rss_cap_mb * MB) as sampler:
            main_phase(plan, running, work, report)
            for key, server in running.items():
                info = report["servers"][key]
                peaks = [r["peak_rss_mb"] for r in report["runs"] if r["server"] == key]
                info["peak_rss_mb"] = max([info["startup_peak_rss_mb"], *peaks])
                info["rss_after_mb"] = round(server.rss() / MB, 1)
            if plan.profile and "pod" in running:
                report["profile"] = profile(running["pod"], plan, work, work / "profiles")
            if plan.scale:
                peers = [running[k] for k in ("pod", "css", "nss") if k in running]
                report["scale"] = scale(peers, plan, sampler)
            for key, rss in sampler.stopped_for_memory.items():
                report["servers"][key]["stopped_at_rss_mb"] = round(rss / MB)
    finally:
        for server in running.values():
            server.stop()
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return report


def start_server(spec: ServerSpec, plan: Plan, work: Path, report: Report) -> ServerProcess | None:
    """Seed, start (timing the cold starts), check it listens on loopback only and answers every
    workload correctly. None, and the reason under `missing`, when it cannot start."""
    if spec.data_dir is not None:
        data.seed(spec.data_dir)
    server = ServerProcess(spec, work)
    info: dict[str, Any] = {"label": spec.label, "version": spec.version, "port": spec.port}
    report["servers"][spec.key] = info
    try:
        starts = start(server, plan)
        info["listening"] = server.assert_loopback_only()
    except RuntimeError as error:
        server.stop()
        report["missing"][spec.key] = info["error"] = str(error)
        log(f"{spec.label}: {error}")
        return None
    info["cold_start_s"] = round(statistics.median(starts), 3)
    info["cold_starts_s"] = [round(s, 3) for s in starts]
    info["startup_peak_rss_mb"] = round(server.peak() / MB, 1)
    problems: dict[str, str] = {}
    if spec.data_dir is not None:
        info["checks"] = check(server)
        problems = {k: v for k, v in info["checks"].items() if v != "ok"}
    log(
        f"{spec.label} {spec.version or ''}: up in {info['cold_start_s']} s, listening on "
        f"{info['listening']}; checks: {problems or 'all ok'}"
    )
    return server


def main_phase(plan: Plan, servers: dict[str, ServerProcess], work: Path, report: Report) -> None:
    """Every workload, at each connection count, for each round, against each server in turn."""
    runs: list[dict[str, Any]] = report["runs"]
    for workload in WORKLOADS:
        if workload.key not in plan.workloads:
            continue
        for conns in plan.connections(workload):
            taking_part = [k for k in ("pod", "css", "nss", "bare") if k in servers]
            if not workload.bare:
                taking_part = [k for k in taking_part if k != "bare"]
            for round_ in range(plan.rounds):
                shift = round_ % len(taking_part)
                for key in taking_part[shift:] + taking_part[:shift]:
                    if not servers[key].alive:
                        continue
                    result = run_load(servers[key], workload, conns, plan, work, f"r{round_}c{conns}{key}")
                    result |= {"workload": workload.key, "connections": conns, "round": round_, "server": key}
                    runs.append(result)
                    log(
                        f"{workload.key:<16} c={conns:<2} {key:<4} round {round_}: "
                        f"{result.get('rps', result.get('failed'))} req/s, p50 {result.get('p50_ms')} ms, "
                        f"p99 {result.get('p99_ms')} ms, errors {result.get('errors', '?')}, "
                        f"peak {result['peak_rss_mb']} MB, {result['wall_s']} s"
                    )
            report["summary"].setdefault(workload.key, {})[str(conns)] = {
                key: summarise_runs(
                    [
                        r
                        for r in runs
                        if (r["workload"], r["connections"], r["server"]) == (workload.key, conns, key)
                    ]
                )
                for key in taking_part
            }


def unavailable(plan: Plan) -> dict[str, str]:
    """Peers that cannot run here, and why: their cells are n/a in the table."""
    missing: dict[str, str] = {}
    entries = {"css": "@solid/community-server/bin/server.js", "nss": "solid-server/bin/solid"}
    for key, entry in entries.items():
        if key not in plan.servers:
            continue
        if not shutil.which("node"):
            missing[key] = "node is not installed"
        elif not (BENCH / "node_modules" / entry).exists():
            missing[key] = "not installed: run `npm ci` in bench/"
    return missing


def print_report(report: Report, path: Path) -> None:
    info = report["machine"]
    peers = ", ".join(
        f"{v['label']} {v['version']}"
        for k, v in report["servers"].items()
        if k in ("css", "nss") and v.get("version")
    )
    print()
    print(report["table"])
    print()
    print(
        f"{info['cpus']} × {info['cpu_model']} (family/model {info['cpu_family_model']}, "
        f"{info['cpu_mhz']} MHz{', VM' if info['virtual_machine'] else ''}), {info['memory_gb']} GB RAM; "
        f"Python {info['python']}, "
        f"aiohttp {info['aiohttp']}; Node {info['node']}: {peers}; pod {info['pod_commit']}"
    )
    for key, why in report["missing"].items():
        print(f"{key.upper()} n/a: {why}")
    warning = contention(report)
    if warning:
        print(warning)
    for entry in report["targets"]:
        mark = {True: "met    ", False: "NOT met", None: "-      "}[entry["met"]]
        print(f"  {mark} {entry['target']}: {entry['detail']}")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"results: {shown} (the run took {report['seconds']:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="under two minutes: no NSS, no 100k container")
    parser.add_argument("--servers", help="comma-separated, of pod,css,nss")
    parser.add_argument("--workloads", help="comma-separated, of " + ",".join(w.key for w in WORKLOADS))
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--no-scale", action="store_true", help="skip the container-size step")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy profiles of pod at c=32, after the runs"
    )
    parser.add_argument("--output", type=Path, default=BENCH / "results", help="folder for the JSON results")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    if args.servers:
        plan = replace(plan, servers=tuple(s for s in args.servers.split(",") if s))
    if args.workloads:
        plan = replace(plan, workloads=tuple(args.workloads.split(",")))
    if args.rounds:
        plan = replace(plan, rounds=args.rounds)
    if args.no_scale:
        plan = replace(plan, scale=())
    if args.profile:
        plan = replace(plan, profile=True)
    missing = unavailable(plan)
    if args.quick and not args.servers:
        missing["nss"] = "not in the quick run"
    plan = replace(plan, servers=tuple(s for s in plan.servers if s not in missing))
    began = time.perf_counter()
    report = measure(plan, missing)
    report["seconds"] = round(time.perf_counter() - began, 1)
    report["table"] = table(report)
    report["targets"] = [{"target": t, "met": met, "detail": d} for t, met, d in targets(report)]
    args.output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.output / f"{stamp}{'-quick' if plan.quick else ''}.json"
    path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print_report(report, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

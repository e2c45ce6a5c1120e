"""The local runtime under a company's load: what `make bench` prints and the soak test (tests/e2e) asserts.

`rapport local` runs as a developer runs it (a child process on free ports, a fresh data folder), is filled by
`rapport seed --scale N`, then measured over HTTP on localhost only: 8 clients reading (a contact, a page of
accounts, a page of contacts) once the functions' workers have started, one client writing contacts (a
transaction each), the process's memory, a restart and a Ctrl-C. Figures are medians and 99th percentiles in
milliseconds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.runtime.runtime import REGION, SEED_TENANT
from local.runtime.store import DataDir
from local.runtime.tokens import TokenIssuer

READY = "Ctrl-C stops."
START_TIMEOUT = 600.0
SEED_TIMEOUT = 7200.0
CLIENTS = 8
READS_PER_CLIENT = 60
WARM_UP = 15  # requests per client before the timed ones: every worker has started
WRITES = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LocalProcess:
    """`rapport local` in a child process, its output in `<data dir>.log`."""

    cdk_out: Path
    data_dir: Path
    port: int = field(default_factory=free_port)
    aws_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def log(self) -> Path:
        return self.data_dir.with_name(self.data_dir.name + ".log")

    def start(self) -> float:
        """Seconds until it serves."""
        command = [
            str(Path(sys.executable).with_name("rapport")),
            *("local", "--no-seed", "--port", str(self.port), "--aws-port", str(self.aws_port)),
            *("--data-dir", str(self.data_dir), "--cdk-out", str(self.cdk_out)),
        ]
        earlier = len(self.output())
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - ours
        while READY not in self.output()[earlier:]:
            if self.process.poll() is not None or time.monotonic() - started > START_TIMEOUT:
                self.kill()
                raise RuntimeError(f"rapport local did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)
        return time.monotonic() - started

    def stop(self) -> float:
        """Ctrl-C; seconds until the process ended."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        return time.monotonic() - started

    def kill(self) -> None:
        """kill -9."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def rss_mb(self) -> tuple[int, int]:
        """Resident memory of the runtime process, and of its function workers together, in MB."""
        assert self.process is not None
        pid = self.process.pid
        workers = {child for task in Path(f"/proc/{pid}/task").iterdir() for child in _children(task)}
        return status_kb("VmRSS", pid) // 1024, sum(status_kb("VmRSS", int(worker)) for worker in workers) // 1024

    def seed(self, contacts: int, tenant: str = SEED_TENANT) -> dict[str, Any]:
        command = [str(Path(sys.executable).with_name("rapport")), "seed", "--scale", str(contacts)]
        output = subprocess.run(  # noqa: S603 - ours
            [*command, "--tenant", tenant, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            check=True,
            timeout=SEED_TIMEOUT,
        ).stdout
        seeded: dict[str, Any] = json.loads(output)
        return seeded

    def token(self, tenant: str, groups: str = "admin") -> str:
        issuer = TokenIssuer.of(DataDir(self.data_dir), REGION)
        return issuer.mint(tenant=tenant, user="bench", groups=groups.split(","), lifetime=6 * 3600)


def _children(task: Path) -> list[str]:
    try:
        return (task / "children").read_text().split()
    except OSError:  # the thread ended meanwhile
        return []


def status_kb(field: str, pid: int | str = "self") -> int:
    """A size in a process's /proc status, in kB as Linux counts them: its resident size (VmRSS) or that size's
    peak so far (VmHWM); 0 once the process has ended."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # the process ended meanwhile
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith(f"{field}:")), 0)


@dataclass
class Timings:
    milliseconds: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def add(self, started: float, status: int) -> None:
        self.milliseconds.append((time.perf_counter() - started) * 1000)
        self.statuses.append(status)

    @property
    def p50(self) -> float:
        return statistics.median(self.milliseconds)

    @property
    def p99(self) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    @property
    def server_errors(self) -> int:
        return sum(1 for status in self.statuses if status >= 500)


def request(url: str, token: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    call = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - localhost
    try:
        with urllib.request.urlopen(call, timeout=120) as response:  # noqa: S310 - localhost
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def read_load(runtime: LocalProcess, tenant: str, contact_ids: list[str]) -> Timings:
    """`CLIENTS` clients at once, each reading a random contact, a page of accounts or a page of contacts."""
    token, timings, lock = runtime.token(tenant), Timings(), threading.Lock()
    paths: list[Callable[[random.Random], str]] = [
        lambda rng: f"/contacts/{rng.choice(contact_ids)}",
        lambda rng: "/accounts?limit=25",
        lambda rng: "/contacts?limit=25",
    ]

    def client(number: int) -> None:
        rng = random.Random(number)  # noqa: S311 - which record to read
        for turn in range(WARM_UP + READS_PER_CLIENT):
            started = time.perf_counter()
            status, _ = request(runtime.url + paths[turn % len(paths)](rng), token)
            if turn >= WARM_UP:  # the first requests start the functions' workers: cold starts are counted apart
                with lock:
                    timings.add(started, status)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def write_load(runtime: LocalProcess, tenant: str, account_id: str) -> Timings:
    """`WRITES` contacts created one after the other: each one transaction (record, email guard, account link)."""
    token, timings = runtime.token(tenant), Timings()
    for number in range(WRITES):
        body = {"last_name": f"Bench {number}", "email": f"bench-{number}-{time.time_ns()}@bench.example"}
        started = time.perf_counter()
        status, _ = request(f"{runtime.url}/contacts", token, "POST", {**body, "account_id": account_id})
        timings.add(started, status)
    return timings


def some_ids(runtime: LocalProcess, tenant: str, collection: str, pages: int = 4) -> list[str]:
    token, ids, cursor = runtime.token(tenant), [], ""
    for _ in range(pages):
        status, page = request(f"{runtime.url}/{collection}?limit=100{cursor}", token)
        if status != 200:
            raise RuntimeError(f"GET /{collection} answered {status}")
        ids += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    return ids


def measure(cdk_out: Path, work: Path, contacts: int) -> dict[str, float]:
    """Every figure for a company of `contacts` contacts, on a fresh data folder under `work`."""
    runtime = LocalProcess(cdk_out, work / f"data-{contacts}")
    figures: dict[str, float] = {"start (empty)": runtime.start()}
    try:
        seeded = runtime.seed(contacts)
        figures["seed s"] = seeded["seconds"]
        figures["records"] = sum(seeded["created"].values())
        figures["RSS MB"], figures["workers RSS MB"] = runtime.rss_mb()
        tenant = seeded["tenant"]
        reads = read_load(runtime, tenant, some_ids(runtime, tenant, "contacts"))
        writes = write_load(runtime, tenant, some_ids(runtime, tenant, "accounts", pages=1)[0])
        figures.update(
            {
                "read p50 ms": reads.p50,
                "read p99 ms": reads.p99,
                "write p50 ms": writes.p50,
                "write p99 ms": writes.p99,
                "5xx": reads.server_errors + writes.server_errors,
            }
        )
        figures["RSS after load MB"] = runtime.rss_mb()[0]
        figures["Ctrl-C exit s"] = runtime.stop()
        figures["restart s"] = runtime.start()
        figures["RSS after restart MB"] = runtime.rss_mb()[0]
        figures["Ctrl-C exit s (2)"] = runtime.stop()
    finally:
        runtime.kill()
    return figures


def print_side_by_side(results: dict[int, dict[str, float]], unit: str = "contacts") -> None:
    """A row per figure, a column per scale (`unit`s: contacts, customers), as the first scale named them."""
    print_columns({f"{scale:,} {unit}": figures for scale, figures in sorted(results.items())})


def print_columns(columns: dict[str, dict[str, float]]) -> None:
    """A row per figure, a column per label, as the first column named them."""
    labels = list(columns)
    headings = [f"{label:>{max(len(label) + 4, 10)}}" for label in labels]
    width = max(len(name) for name in columns[labels[0]])
    print(f"  {'':<{width}}" + "".join(headings))
    for name in columns[labels[0]]:
        figures = (
            f"{columns[label][name]:>{len(heading)},.1f}" for label, heading in zip(labels, headings, strict=True)
        )
        print(f"  {name:<{width}}" + "".join(figures))


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())

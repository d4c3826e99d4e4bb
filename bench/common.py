"""What the live benches share: processes pinned to a core, their CPU time and memory, medians,
percentiles, the printed table and the JSON written to bench/results/.

The conventions are those of bench_analysis.py and bench_exports.py: figures are medians of
interleaved repetitions (ours, anchor, ours, anchor, ...), a fixed-width table with a verdict
column, and one JSON file per bench holding the Python version, the repetitions and the rows.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
SERVER_CORE = 0
LOADGEN_CORE = 1
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pin_here(core: int = LOADGEN_CORE) -> bool:
    """Pins this process (the load generator) to one core, as `taskset -c 1` would."""
    if core not in os.sched_getaffinity(0) and len(os.sched_getaffinity(0)) < 2:
        return False
    try:
        os.sched_setaffinity(0, {core})
        return True
    except OSError:
        return False


def pinned(command: list[str], core: int = SERVER_CORE) -> list[str]:
    """The command run under `taskset -c core` when taskset exists and the core does."""
    if shutil.which("taskset") and core < (os.cpu_count() or 1):
        return ["taskset", "-c", str(core), *command]
    return command


def waited(pid: int | str = "self") -> float:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


STARTED: list["Process"] = []


def _stop_all() -> None:
    for process in STARTED:
        process.kill()


def _terminated(signum, frame) -> None:
    raise SystemExit(128 + signum)


# Servers run in sessions of their own, so they would outlive a bench that is interrupted.
atexit.register(_stop_all)
signal.signal(signal.SIGTERM, _terminated)


class Process:
    """A server started for a bench: its pid, CPU seconds and resident memory, read from /proc."""

    def __init__(self, command: list[str], port: int, name: str, cwd: Path = ROOT,
                 probe: str = "/", core: int | None = SERVER_CORE):
        self.command, self.port, self.name, self.cwd, self.probe = command, port, name, cwd, probe
        self.core = core
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "Process":
        # A session of its own, as a service would have: with the kernel's autogroup scheduling, CPU
        # is shared between sessions first, and the server must not share one with the load generator.
        self.process = subprocess.Popen(
            pinned(self.command, self.core) if self.core is not None else self.command, cwd=self.cwd, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
        STARTED.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} died: " + self.process.stderr.read().decode()[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        """User + system CPU seconds of the server process so far (worker processes excluded)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def waited(self) -> float:
        """Seconds this server's threads were ready to run but waited for a CPU (/proc schedstat):
        on a shared machine, the part of a latency that is the machine's, not the server's."""
        return waited(self.pid)

    def rss(self) -> int:
        """Resident memory in bytes."""
        return int(Path(f"/proc/{self.pid}/statm").read_text().split()[1]) * PAGE

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()

    def kill(self) -> None:
        """Ends a server whose state is no longer needed, without its graceful shutdown (which,
        for ours, would refresh the presence of every remaining client once per closed socket)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Process":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def ours(db: Path | str, port: int | None = None, extra: tuple[str, ...] = (), core: int = SERVER_CORE) -> Process:
    """Maillage itself, as a facilitator starts it, on the server core; `db` may be a PostgreSQL URL
    and `extra` more of run.py's options (a broker). MAILLAGE_BENCH_SERVER may name another
    checkout to measure instead (a proposed change, beside the same anchor)."""
    port = port or free_port()
    root = Path(os.environ.get("MAILLAGE_BENCH_SERVER") or ROOT)
    # Thousands of phones from one loopback address: lift the per-address cap meant for a venue.
    os.environ.setdefault("MAILLAGE_CONNECTIONS_PER_ADDRESS", "1000000")
    return Process([sys.executable, "run.py", "--host", "127.0.0.1", "--port", str(port), "--db", str(db),
                    "--no-demo", "--log-level", "warning", *extra], port, "maillage", cwd=root, core=core)


def anchor(port: int | None = None) -> Process:
    """The bare websockets server (bench/anchor_server.py) on the same core."""
    port = port or free_port()
    return Process([sys.executable, str(ROOT / "bench" / "anchor_server.py"), "--port", str(port)],
                   port, "anchor")


def floor(port: int | None = None) -> Process:
    """The stack's floor (bench/floor_server.py): starlette and uvicorn alone, on the same core."""
    port = port or free_port()
    return Process([sys.executable, str(ROOT / "bench" / "floor_server.py"), "--port", str(port)],
                   port, "floor")


def progress(message: str) -> None:
    """A line on stderr while a bench runs, so a long run shows where it is."""
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def idle(processes: list[Process], threshold: float = 0.05, span: float = 0.5, limit: float = 60.0) -> bool:
    """Waits until every server uses less than `threshold` of a core: both servers share the
    server core, so one still working through its last window would slow the other's."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = [p.cpu() for p in processes]
        await asyncio.sleep(span)
        if all((p.cpu() - b) / span < threshold for p, b in zip(processes, before)):
            return True
    return False


def scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"maillage-{prefix}-"))


# Figures ------------------------------------------------------------------------------------

def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, fraction: float) -> float | None:
    """Nearest-rank percentile: the value below which `fraction` of the samples lie."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def ratio(ours_value: float | None, anchor_value: float | None) -> float | None:
    if ours_value is None or not anchor_value:
        return None
    return ours_value / anchor_value


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def verdict(met: bool | None) -> str:
    return "—" if met is None else "met" if met else "MISSED"


def machine() -> dict:
    """When and under what load the figures were taken: call it before the bench starts, since
    the load average it records would otherwise include the bench itself."""
    root = Path(os.environ.get("MAILLAGE_BENCH_SERVER") or ROOT)
    # Thousands of phones from one loopback address: lift the per-address cap meant for a venue.
    os.environ.setdefault("MAILLAGE_CONNECTIONS_PER_ADDRESS", "1000000")
    try:
        revision = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                                  capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        revision = None
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "taken_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "server": str(root), "revision": revision}


def fmt(value, unit: str = "", digits: int = 1, width: int = 0) -> str:
    text = "—" if value is None else f"{value:.{digits}f}{unit}"
    return text.rjust(width) if width else text


def print_table(title: str, columns: list[tuple[str, int]], rows: list[list[str]], notes: list[str] = ()) -> None:
    """A fixed-width table: the first column left-aligned, the others right-aligned but the verdict."""
    print(title)
    header = []
    for index, (name, width) in enumerate(columns):
        header.append(name.ljust(width) if index == 0 or name == "verdict" else name.rjust(width))
    print(" ".join(header).rstrip())
    for row in rows:
        cells = []
        for index, ((name, width), cell) in enumerate(zip(columns, row)):
            cells.append(cell.ljust(width) if index == 0 or name == "verdict" else cell.rjust(width))
        print(" ".join(cells).rstrip())
    for note in notes:
        print(note)


def write_json(name: str, payload: dict, out_dir: Path = RESULTS) -> Path:
    out = out_dir / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"bench": name, **payload}, indent=2, ensure_ascii=False),
                   encoding="utf-8")
    try:
        shown = out.relative_to(ROOT)
    except ValueError:
        shown = out
    print(f"written {shown}")
    return out


def run_bench(name: str, description: str, measure, report, argv: list[str] | None = None) -> dict:
    """What each live bench's command line does: `--quick` and `--out`, the bench pinned to the
    load generator's core on the fast loop, one measure (`measure(quick)` is its coroutine), its
    table, and bench/results/<name>.json with the machine's state when it started."""
    import argparse
    import asyncio

    from loadgen import install_fast_loop
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    pin_here()
    install_fast_loop()
    started = machine()
    result = asyncio.run(measure(args.quick))
    report(result)
    write_json(name, {"machine": started, **result}, args.out)
    return result

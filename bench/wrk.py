"""A load phase driven by wrk (Debian's `wrk`, a load generator in C on its own event loop) instead
of Python threads, which would compete with the server for the same two cores and measure
themselves as much as the server.

Each phase writes its requests to a file that bench/wrk_requests.lua sends in turn and over again
for the phase's seconds (wrk always runs for its whole -d, so a phase is bounded by time; each
thread also stops after a cap on answers). Besides wrk's figures it states how much CPU each side
used: the gunicorn processes (read from /proc before and after) and wrk (its rusage), as cores,
i.e. CPU seconds per second of the phase.
"""

import json
import os
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().with_name("wrk_requests.lua")
TICKS = os.sysconf("SC_CLK_TCK")


def wrk_missing_reason() -> str | None:
    if shutil.which("wrk") is None:
        return "wrk is not installed (apt-get install wrk): the load is driven by Python threads instead"
    return None


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by `pid` and its children (gunicorn's master and workers)."""
    total = 0.0
    for candidate in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that exited between the listing and the read
        total += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


def _line(request) -> str:
    method, path, headers, body, _expected = request
    extra = "|".join(f"{name}: {value}" for name, value in headers.items())
    return "\t".join([method, path, body or "", extra])


def wrk_phase(
    name, port, server_pid, requests, login, connections, seconds, threads=1, cap=200_000, posts=None
):
    """Send `requests` (method, path, headers, body, expected status), in turn and over again, through
    `connections` keep-alive connections for `seconds` (at most `cap` answers). `login` holds the
    headers every request carries. `posts`, if given, counts the posts that landed (a callable read
    before and after). Returns the phase's figures in the shape of bench.load.summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as listing:
        listing.write("\n".join(_line(request) for request in requests) + "\n")
    common = "|".join(f"{header}: {value}" for header, value in login.items())
    each = -(-cap // threads)
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={max(connections, threads)}",
        f"--duration={seconds}s",
        "--timeout=30s",
        f"--script={SCRIPT}",
        f"http://127.0.0.1:{port}",
        "--",
        listing.name,
        str(each),
        common,
        str(threads),
    ]
    posted_before = posts() if posts else 0
    server_before = process_tree_cpu_seconds(server_pid)
    own_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    finished = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 -- fixed
    own_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_seconds = process_tree_cpu_seconds(server_pid) - server_before
    os.unlink(listing.name)
    marker = [line for line in finished.stdout.splitlines() if line.startswith("WRK-RESULT ")]
    if finished.returncode != 0 or not marker:
        raise SystemExit(f"wrk failed ({finished.returncode}): {finished.stdout}\n{finished.stderr}")
    figures = json.loads(marker[-1].removeprefix("WRK-RESULT "))
    elapsed = figures["duration_us"] / 1e6
    errors = sum(figures[kind] for kind in ("connect", "read", "write", "status", "timeout"))
    wrk_seconds = (own_after.ru_utime - own_before.ru_utime) + (own_after.ru_stime - own_before.ru_stime)
    result = {
        "phase": name,
        "driver": "wrk",
        "requests": figures["requests"],
        "seconds": elapsed,
        "requests_per_s": figures["requests"] / elapsed,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "errors": errors,
        "error_examples": [
            f"{kind}: {figures[kind]}"
            for kind in ("connect", "read", "write", "status", "timeout")
            if figures[kind]
        ],
        "successful_posts": (posts() - posted_before) if posts else 0,
        "server_cores": server_seconds / elapsed,
        "load_generator_cores": wrk_seconds / elapsed,
    }
    print(
        f"{name:28} {result['requests']:6d} req  {result['requests_per_s']:7.1f} req/s  "
        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  errors {result['errors']}  "
        f"cores: server {result['server_cores']:.2f}, wrk {result['load_generator_cores']:.2f}"
    )
    return result

"""A throwaway Redis server for the tests of the shared page cache (TRACKER_CACHE_URL).

Debian's `redis-server`, started on 127.0.0.1 on a free port, in memory only (no snapshot, no
append-only file), stopped when the tests end. `make test` skips the Redis tests, saying why, where
the program is missing; CI installs it and sets TRACKER_REQUIRE_REDIS=1, which turns a missing
server into a failure.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest

REDIS_SERVER = os.environ.get("TRACKER_REDIS_SERVER", "redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_missing_reason() -> str | None:
    if shutil.which(REDIS_SERVER) is None:
        return f"the shared-cache tests need a Redis server: {REDIS_SERVER} was not found (apt-get install redis-server)"
    return None


def skip_or_fail_without_redis() -> None:
    reason = redis_missing_reason()
    if reason is None:
        return
    if os.environ.get("TRACKER_REQUIRE_REDIS") == "1":
        pytest.fail(reason + "; TRACKER_REQUIRE_REDIS=1 makes them mandatory")
    pytest.skip(reason)


def start(folder) -> tuple[subprocess.Popen, str]:
    """Start a server whose files (none, in memory only) would go in `folder`; its URL."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 -- a fixed command line
        [
            REDIS_SERVER,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"{REDIS_SERVER} did not answer on 127.0.0.1:{port}")

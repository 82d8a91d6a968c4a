"""`district-ppm serve` as a real process on a free loopback port, for tests that need one."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import httpx

CLI = Path(sys.executable).parent / "district-ppm"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(
    env: Mapping[str, str] | None = None,
    *,
    startup_seconds: float = 60,
    log_path: Path | None = None,
) -> Iterator[str]:
    """Runs the API until the block ends; yields its base URL once /health/live answers.

    The server's output goes to ``log_path`` when given (a test that reads it afterwards).
    """
    with serving_process(env, startup_seconds=startup_seconds, log_path=log_path) as (url, _):
        yield url


@contextlib.contextmanager
def serving_process(
    env: Mapping[str, str] | None = None,
    *,
    workers: int = 1,
    startup_seconds: float = 60,
    log_path: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``serving``, with ``--workers`` and the server's process (uvicorn's supervisor when
    there are several workers)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a pipe nobody reads fills up and stalls the server mid-test.
    with log_path.open("w+") if log_path else tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [
                str(CLI),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                f"{workers}",
            ],
            env=dict(os.environ if env is None else env),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_live(process, base_url, log, startup_seconds)
            yield base_url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_live(
    process: subprocess.Popen[str], base_url: str, log: IO[str], startup_seconds: float
) -> None:
    deadline = time.monotonic() + startup_seconds
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"the server exited at start:\n{log.read()}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server never answered /health/live"
        time.sleep(0.1)

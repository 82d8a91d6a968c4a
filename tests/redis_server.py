"""A private redis-server for the test run, so tests can cause a real Redis outage.

Started when tests/conftest.py is imported, on a free port; `stop()` and `start()` take it
down and bring it back on the same port, as an outage would.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import tempfile
import time

_DIR = tempfile.mkdtemp(prefix="dppm-redis-")
_process: subprocess.Popen[bytes] | None = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = _free_port()
URL = f"redis://127.0.0.1:{PORT}/0"


def _answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=0.2):
            return True
    except OSError:
        return False


def start() -> None:
    global _process
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("the tests need redis-server on PATH (apt-get install redis-server)")
    _process = subprocess.Popen(
        [
            binary,
            "--port",
            str(PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            _DIR,
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _answers():
        if time.monotonic() > deadline:
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)


def stop() -> None:
    global _process
    if _process is not None:
        _process.terminate()
        _process.wait(timeout=10)
        _process = None


def _stop_and_clean() -> None:
    stop()
    shutil.rmtree(_DIR, ignore_errors=True)


atexit.register(_stop_and_clean)

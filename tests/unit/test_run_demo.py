"""`make run` stops the server and the worker it started, however it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run_demo.py"

FAKE_CLI = """#!{python}
import json, os, sys, time
from pathlib import Path
if sys.argv[1] == "seed-demo":
    print(json.dumps({{"slug": "demo", "token": "dppm_test"}}))
    sys.exit(0)
Path(os.environ["PIDS"], sys.argv[1]).write_text(str(os.getpid()))
while True:
    time.sleep(1)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that exited but was not reaped yet is a zombie: it is gone for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


@pytest.mark.parametrize(
    ("stop", "started_in_background"),
    [
        (signal.SIGINT, False),
        (signal.SIGTERM, False),
        (signal.SIGHUP, False),
        # A non-interactive shell starts `cmd &` with SIGINT ignored, and the ignored
        # disposition survives exec: Ctrl-C or `kill -INT` must still stop it.
        (signal.SIGINT, True),
        (signal.SIGTERM, True),
        (signal.SIGHUP, True),
    ],
    ids=lambda value: value.name if isinstance(value, signal.Signals) else str(value),
)
def test_stopping_make_run_stops_the_server_and_worker(
    tmp_path: Path, stop: signal.Signals, started_in_background: bool
):
    # Given a fake `district-ppm` beside the interpreter that runs the script
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"
    python.symlink_to(sys.executable)
    cli = bin_dir / "district-ppm"
    cli.write_text(FAKE_CLI.format(python=sys.executable))
    cli.chmod(0o755)
    pids = tmp_path / "pids"
    pids.mkdir()
    command = [str(python), str(SCRIPT)]
    if started_in_background:
        command = ["/bin/sh", "-c", 'trap "" INT; exec "$0" "$1"', *command]
    demo = subprocess.Popen(
        command,
        env={**os.environ, "PIDS": str(pids)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while len(list(pids.iterdir())) < 2:
            assert time.monotonic() < deadline, "the fake server and worker never started"
            time.sleep(0.05)
        time.sleep(0.2)
        children = {path.name: int(path.read_text()) for path in pids.iterdir()}

        # When `make run` itself is told to stop (Ctrl-C, a supervisor, a closed terminal)
        demo.send_signal(stop)
        returncode = demo.wait(timeout=30)

        # Then it ends of its own accord, not killed by the signal
        assert returncode == 0

        # Then neither child outlives it
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert {name: _alive(pid) for name, pid in children.items()} == {
            "serve": False,
            "worker": False,
        }
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for path in pids.iterdir():
            pid = int(path.read_text())
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

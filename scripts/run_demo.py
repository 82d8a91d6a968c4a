"""`make run`: load the demo district, then serve the API and a worker until Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
HOST = os.environ.get("DISTRICT_PPM_HOST", "127.0.0.1")
PORT = os.environ.get("DISTRICT_PPM_PORT", "8000")


# Every way of being told to stop: Ctrl-C, a supervisor's SIGTERM, a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # each stop signal stops the children as Ctrl-C does


def main() -> None:
    # Installed explicitly, SIGINT included: a shell starts background jobs with SIGINT
    # ignored, and Python then leaves it ignored instead of raising KeyboardInterrupt.
    for stop in STOP_SIGNALS:
        signal.signal(stop, _stop)
    try:
        seeded = subprocess.run(
            [BIN / "district-ppm", "seed-demo"], check=True, capture_output=True, text=True
        )
    except KeyboardInterrupt:
        return
    demo = json.loads(seeded.stdout)
    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(subprocess.Popen([BIN / "district-ppm", "worker"]))
        server = subprocess.Popen([BIN / "district-ppm", "serve", "--host", HOST, "--port", PORT])
        started.append(server)
        _wait_until_serving(server)
        print(_banner(demo["slug"], demo["token"]), flush=True)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop_children(started)


def _wait_until_serving(server: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Returns once /health/live answers, so the printed address works when it is clicked."""
    deadline = time.monotonic() + seconds
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/health/live", timeout=1):
                return
        except OSError:
            time.sleep(0.2)


def _banner(slug: str, token: str) -> str:
    base = f"http://{HOST}:{PORT}"
    # The token rides in the fragment, which browsers never send: the explorer page reads it
    # into its Authorization header, and no server or proxy log ever sees it.
    return f"""
District PPM is running with the demo district "{slug}".

  GraphiQL:   {base}/graphql#token={token}
  Demo token: {token}

  curl -s {base}/graphql -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"query": "{{ me {{ role district {{ name }} }} }}"}}'

The GraphiQL address above fills in the Authorization header. Ctrl-C stops everything.
"""


def _stop_children(started: list[subprocess.Popen[bytes]]) -> None:
    # Further stop signals must not cut this clean-up short.
    for stop in STOP_SIGNALS:
        signal.signal(stop, signal.SIG_IGN)
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()

"""`make run`: load the demo district, then serve the API and a worker until Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
HOST = os.environ.get("DISTRICT_PPM_HOST", "127.0.0.1")
PORT = os.environ.get("DISTRICT_PPM_PORT", "8000")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # a supervisor's SIGTERM stops the children like Ctrl-C does


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    seeded = subprocess.run(
        [BIN / "district-ppm", "seed-demo"], check=True, capture_output=True, text=True
    )
    demo = json.loads(seeded.stdout)
    worker = subprocess.Popen([BIN / "district-ppm", "worker"])
    server = subprocess.Popen([BIN / "district-ppm", "serve", "--host", HOST, "--port", PORT])
    token = demo["token"]
    print(
        f"""
District PPM is running with the demo district "{demo["slug"]}".

  GraphiQL:   http://{HOST}:{PORT}/graphql
  Demo token: {token}

  curl -s http://{HOST}:{PORT}/graphql -H 'Authorization: Bearer {token}' \\
       -H 'Content-Type: application/json' \\
       -d '{{"query": "{{ me {{ role district {{ name }} }} }}"}}'

In GraphiQL, add the header {{"Authorization": "Bearer {token}"}}. Ctrl-C stops everything.
""",
        flush=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in (server, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()

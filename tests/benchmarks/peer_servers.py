"""The two servers of bench_peer.py: ours (``district-ppm serve``) and PostGraphile 4 (npm into
a scratch folder, served by peer/server.js), each in its own process group, logging to a file."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time as clock
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import bench_measures  # puts src/ on the path
import httpx

if TYPE_CHECKING:
    from district_ppm.config import Settings

HOST = "127.0.0.1"
SCRATCH = bench_measures.ROOT / ".local" / "bench-peer"
PEER_PACKAGE = Path(__file__).resolve().parent / "peer"
# High enough never to refuse the load: the limiter still runs (one Redis call per request).
RAISED_RATE_LIMITS = {
    "DISTRICT_PPM_RATE_LIMIT_PER_MINUTE": "100000000",
    "DISTRICT_PPM_RATE_LIMIT_BURST": "10000000",
}


def install_peer() -> str:
    """PostGraphile from peer/package-lock.json into the scratch folder (skipped when there);
    returns its version and node's."""
    package = PEER_PACKAGE / "package.json"
    lock = PEER_PACKAGE / "package-lock.json"
    digest = hashlib.sha256(package.read_bytes() + lock.read_bytes()).hexdigest()[:16]
    stamp = SCRATCH / f".installed-{digest}"
    installed = SCRATCH / "node_modules" / "postgraphile" / "package.json"
    if not (stamp.exists() and installed.exists()):
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            raise SystemExit("bench-peer needs Node.js 18+ and npm on PATH (PostGraphile 4)")
        SCRATCH.mkdir(parents=True, exist_ok=True)
        for old in SCRATCH.glob(".installed-*"):
            old.unlink()
        shutil.copy(package, SCRATCH / "package.json")
        shutil.copy(lock, SCRATCH / "package-lock.json")
        print(
            f"installing PostGraphile into {SCRATCH.relative_to(bench_measures.ROOT)} (npm ci)",
            flush=True,
        )
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--omit=dev", "--loglevel=error"],
            cwd=SCRATCH,
            check=True,
        )
        stamp.touch()
    node = subprocess.run([shutil.which("node") or "node", "--version"], capture_output=True)
    version = json.loads(installed.read_text())["version"]
    return f"PostGraphile {version} on node {node.stdout.decode().strip()}"


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    headers: dict[str, str]

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            last = self.log.read_text(errors="replace").splitlines()[-lines:]
            return "\n".join(line[:400] for line in last)
        return ""

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # Its own process group (start_new_session): uvicorn's or node's workers go with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def _spawn(
    name: str, argv: list[str], env: dict[str, str], port: int, headers: dict[str, str]
) -> Server:
    log = SCRATCH / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, port, log, headers)


def serve_takes_workers(command: str) -> bool:
    shown = subprocess.run([command, "serve", "--help"], capture_output=True, text=True)
    return "--workers" in shown.stdout


def start_ours(
    settings: Settings, workers: int, token: str | None, *, response_cache: bool = False
) -> Server:
    command = shutil.which("district-ppm", path=str(Path(sys.executable).parent)) or shutil.which(
        "district-ppm"
    )
    if command is None:
        raise SystemExit("district-ppm is not installed: run `make install`")
    port = bench_measures.free_port()
    argv = [command, "serve", "--host", HOST, "--port", str(port)]
    # Always named when serve takes it: its default may come from $WEB_CONCURRENCY.
    if serve_takes_workers(command):
        argv += ["--workers", str(workers)]
    elif workers != 1:
        raise SystemExit("--api-workers: this `district-ppm serve` has no --workers yet")
    env = {
        **os.environ,
        "DISTRICT_PPM_DATABASE_URL": settings.database_url,
        "DISTRICT_PPM_ENVIRONMENT": "production",
        "DISTRICT_PPM_RESPONSE_CACHE": "true" if response_cache else "false",
        **RAISED_RATE_LIMITS,
    }
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return _spawn("api", argv, env, port, headers)


def start_peer(settings: Settings, workers: int, district_id: uuid.UUID) -> Server:
    node = shutil.which("node")
    assert node is not None  # install_peer checked
    port = bench_measures.free_port()
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "NODE_PATH": str(SCRATCH / "node_modules"),
        "PEER_DATABASE_URL": settings.app_url.set(drivername="postgresql").render_as_string(
            hide_password=False
        ),
        "PEER_PORT": str(port),
        "PEER_POOL_SIZE": str(settings.db_pool_size),
        "PEER_WORKERS": str(workers),
    }
    headers = {"X-District-Id": str(district_id)}
    return _spawn("peer", [node, str(PEER_PACKAGE / "server.js")], env, port, headers)


async def wait_ready(server: Server, http: httpx.AsyncClient, seconds: float = 90.0) -> None:
    deadline = clock.monotonic() + seconds
    while clock.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(
                f"{server.name} server exited with code {server.process.returncode}; "
                f"the end of {server.log}:\n{server.tail()}"
            )
        with contextlib.suppress(httpx.TransportError):
            if server.name == "api":
                response = await http.get(f"http://{HOST}:{server.port}/health/ready")
            else:
                response = await http.post(
                    f"http://{HOST}:{server.port}/graphql", json={"query": "{ __typename }"}
                )
            if response.status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise SystemExit(f"{server.name} server did not answer in {seconds:.0f} s:\n{server.tail()}")

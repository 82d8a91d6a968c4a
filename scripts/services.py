"""Make sure PostgreSQL and Redis answer at the configured addresses.

`make run` and `make test` call `services.py ensure`. When something already answers at
DISTRICT_PPM_DATABASE_URL / DISTRICT_PPM_REDIS_URL it is used as it is. When nothing answers
and the address is on this machine, a private server is started under .local/ (PostgreSQL from
the machine's PostgreSQL binaries with initdb, Redis from redis-server) on that port.
`services.py stop` stops what it started.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
LOCAL = Path(os.environ.get("DISTRICT_PPM_LOCAL_DATA_DIR", ROOT / ".local"))
DATABASE_URL = os.environ.get(
    "DISTRICT_PPM_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/district_ppm"
)
REDIS_URL = os.environ.get("DISTRICT_PPM_REDIS_URL", "redis://127.0.0.1:6379/0")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def say(message: str) -> None:
    print(f"services: {message}", file=sys.stderr)


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(host: str, port: int, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(host, port):
            return True
        time.sleep(0.3)
    return False


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def ensure_postgres(host: str, port: int, user: str) -> None:
    if answers(host, port):
        return
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"services: no PostgreSQL answers at {host}:{port}, and it is not local")
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise SystemExit(
            "services: no PostgreSQL answers and no PostgreSQL binaries are installed; "
            "install them (apt-get install postgresql) or set DISTRICT_PPM_DATABASE_URL"
        )
    data = LOCAL / "postgres"
    LOCAL.mkdir(parents=True, exist_ok=True)
    if not (data / "PG_VERSION").exists():
        say(f"initialising a private PostgreSQL cluster in {data}")
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(LOCAL, pw.pw_uid, pw.pw_gid)
            os.chown(data, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            _as_postgres([initdb, "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    say(f"starting the private PostgreSQL on port {port}")
    subprocess.run(
        _as_postgres(
            [
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(data / "server.log"),
                "-w",
                "start",
                "-o",
                f"-p {port} -k {data} -c listen_addresses={host}",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if not wait_for(host, port):
        raise SystemExit(f"services: PostgreSQL did not start; see {data / 'server.log'}")


def ensure_redis(host: str, port: int) -> None:
    if answers(host, port):
        return
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"services: no Redis answers at {host}:{port}, and it is not local")
    server = shutil.which("redis-server")
    if not server:
        raise SystemExit(
            "services: no Redis answers and redis-server is not installed; "
            "install it (apt-get install redis-server) or set DISTRICT_PPM_REDIS_URL"
        )
    data = LOCAL / "redis"
    data.mkdir(parents=True, exist_ok=True)
    say(f"starting a private Redis on port {port} in {data}")
    subprocess.run(
        [
            server,
            "--daemonize",
            "yes",
            "--bind",
            host,
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data),
            "--logfile",
            str(data / "redis.log"),
            "--pidfile",
            str(data / "redis.pid"),
        ],
        check=True,
    )
    if not wait_for(host, port):
        raise SystemExit(f"services: Redis did not start; see {data / 'redis.log'}")


def stop() -> None:
    data = LOCAL / "postgres"
    pg_ctl = _pg_bin("pg_ctl")
    if (data / "postmaster.pid").exists() and pg_ctl:
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "stop", "-m", "fast"]), check=False)
    pidfile = LOCAL / "redis" / "redis.pid"
    if pidfile.exists():
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text().strip()), 15)


def main() -> None:
    action = sys.argv[1] if len(sys.argv) > 1 else "ensure"
    if action == "stop":
        stop()
        return
    db = urlparse(DATABASE_URL)
    ensure_postgres(db.hostname or "127.0.0.1", db.port or 5432, db.username or "postgres")
    redis = urlparse(REDIS_URL)
    ensure_redis(redis.hostname or "127.0.0.1", redis.port or 6379)
    say("PostgreSQL and Redis answer")


if __name__ == "__main__":
    main()

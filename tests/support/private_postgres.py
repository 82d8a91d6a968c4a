"""A throwaway PostgreSQL cluster of the test's own, for tests that stop and start the server.

The machine's shared server must never be restarted by a test (other runs use it), so such a
test initdb's a cluster in a temporary directory, on a free port, with its socket there too.
Finding the binaries and running them as the postgres user when we are root (initdb and
postgres refuse root) is what ``scripts/services.py`` already does: its helpers are reused.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from district_ppm.config import PROJECT_ROOT
from tests.support.live_server import free_port

SERVER_USER = "postgres"


def _services() -> ModuleType:
    path = PROJECT_ROOT / "scripts" / "services.py"
    spec = importlib.util.spec_from_file_location("district_ppm_services_script", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


services = _services()


def why_no_private_server() -> str | None:
    """None when this machine can run a private cluster, else the reason it cannot."""
    if not services._pg_bin("initdb") or not services._pg_bin("pg_ctl"):
        return "no PostgreSQL server binaries (initdb, pg_ctl) are installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} user to run the server as"
    return None


@dataclass
class PrivateCluster:
    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server; returns once it accepts connections."""
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            # A scratch cluster: durability buys nothing and costs the restart's checkpoint.
            "-c fsync=off -c full_page_writes=off"
        )
        self._pg_ctl("-l", str(self.log), "-w", "-t", "30", "start", "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: every backend is terminated, open transactions abort);
        returns once the postmaster has exited."""
        self._pg_ctl("-m", mode, "-w", "-t", "30", "stop")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = services._pg_bin("pg_ctl")
        completed = subprocess.run(
            services._as_postgres([pg_ctl, "-D", str(self.data), *args]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {' '.join(args)} failed: {completed.stderr}\n{self.log_tail()}"
            )


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A new cluster (trust auth, superuser ``postgres``), running until the block ends."""
    # Under /tmp itself, not pytest's tmp_path: the server runs as another user when we are
    # root, and must be able to reach its directory (pytest's are private to root).
    directory = Path(tempfile.mkdtemp(prefix="dppm-private-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(SERVER_USER)
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    cluster = PrivateCluster(directory=directory, port=free_port())
    try:
        initdb = services._pg_bin("initdb")
        subprocess.run(
            services._as_postgres(
                [
                    *(initdb, "-D", str(cluster.data)),
                    *("-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"),
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            try:
                cluster.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                time.sleep(1)  # the log keeps the reason; the directory goes regardless
        shutil.rmtree(directory, ignore_errors=True)

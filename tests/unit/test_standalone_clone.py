"""A clone of the repository, with nothing beside it, passes the schema checks.

Users clone from a code host and have no `../shared`: the contract, the docs and every file a
test reads must be inside the repository. This clones the committed HEAD into an empty folder
and runs tests/unit/test_published_schema.py there, on the clone's own code.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from district_ppm.config import PROJECT_ROOT

SCHEMA_CHECKS = "tests/unit/test_published_schema.py"


def test_a_clone_with_nothing_beside_it_passes_the_schema_checks(tmp_path):
    # Given the committed HEAD cloned into an empty folder
    git = shutil.which("git")
    assert git, "git is needed to clone the repository"
    clone = tmp_path / "district-ppm"
    subprocess.run(
        [git, "clone", "--quiet", "--depth", "1", f"file://{PROJECT_ROOT}", str(clone)],
        check=True,
        timeout=120,
    )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["district-ppm"]
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DISTRICT_PPM_CONTRACT", "PYTHONPATH"}
    }
    env["PYTHONPATH"] = os.pathsep.join([str(clone / "src"), str(clone)])

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    # When its schema checks run there, on its own code
    where = run(
        "-c", "from district_ppm.api import sdl; print(sdl.__file__); print(sdl.CONTRACT_FILE)"
    )
    checks = run("-m", "pytest", SCHEMA_CHECKS, "-q", "-p", "no:cacheprovider")

    # Then they read only the clone's files, and pass without skipping any
    assert where.stdout.split() == [
        str(clone / "src" / "district_ppm" / "api" / "sdl.py"),
        str(clone / "graphql" / "contract.graphql"),
    ], where.stderr
    summary = checks.stdout.strip().splitlines()[-1] if checks.stdout.strip() else ""
    assert checks.returncode == 0, checks.stdout[-4000:] + checks.stderr[-2000:]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary

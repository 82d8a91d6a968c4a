"""A clone of the repository, with nothing beside it, passes the schema checks.

Users clone from a code host and have no `../shared`: the contract, the docs and every file a
test reads must be inside the repository. This clones the committed HEAD into an empty folder
and runs tests/unit/test_published_schema.py there, on the clone's own code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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


def _tracked(*paths: str) -> list[str]:
    git = shutil.which("git")
    assert git
    listed = subprocess.run(
        [git, "ls-files", "--", *paths],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return listed.stdout.split()


def test_nothing_the_product_ships_or_runs_points_at_the_shared_folder():
    this_file = "tests/unit/test_standalone_clone.py"  # names the folder to look for it
    suffixes = (".py", ".md", ".graphql", ".toml", ".txt", ".cfg", ".ini", ".sh", ".env")
    pointing = [
        path
        for path in _tracked("README.md", "Makefile", "docs", "src", "tests", "scripts", "infra")
        if path != this_file
        and (path.endswith(suffixes) or "." not in Path(path).name)
        and "../shared" in (PROJECT_ROOT / path).read_text(errors="replace")
    ]

    assert pointing == []


def test_every_link_in_the_readme_and_docs_leads_to_a_file_of_the_repository():
    broken = []
    for page in ["README.md", *_tracked("docs")]:
        if not page.endswith(".md"):
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", (PROJECT_ROOT / page).read_text()):
            if target.startswith(("http://", "https://", "#", "mailto:")):
                continue
            resolved = (PROJECT_ROOT / page).parent / target.split("#")[0]
            if not resolved.resolve().is_relative_to(PROJECT_ROOT) or not resolved.exists():
                broken.append(f"{page}: {target}")

    assert broken == []
    assert {"docs/domain.md", "docs/formulas.md", "docs/api.md"} <= set(_tracked("docs"))

"""The README tells a new user what they need: where the command is, and every setting."""

from __future__ import annotations

import re

from district_ppm.config import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text()
# Read by `make run` (scripts/run_demo.py), not by Settings.
MAKE_RUN_SETTINGS = {"HOST", "PORT"}


def _configuration_table() -> set[str]:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_column = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z0-9_]+)`", first_column))
    return names


def test_the_configuration_table_lists_every_setting_and_the_address_of_make_run():
    settings = {name.upper() for name in Settings.model_fields}

    assert _configuration_table() == settings | MAKE_RUN_SETTINGS


def test_the_readme_says_where_the_district_ppm_command_is():
    assert ".venv/bin/district-ppm" in README
    assert "`.venv/bin/`" in README

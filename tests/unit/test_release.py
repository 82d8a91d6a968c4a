"""The code version that cached answers are keyed by moves with any change to the source."""

from __future__ import annotations

from pathlib import Path

from district_ppm.api.response_cache import ResponseCache
from district_ppm.config import get_settings
from district_ppm.release import code_version, source_digest


def test_the_source_digest_moves_with_any_file_changed_added_or_renamed(tmp_path: Path):
    (tmp_path / "area").mkdir()
    (tmp_path / "area" / "formula.py").write_text("RATE = 1\n")
    (tmp_path / "notes.txt").write_text("not source")
    seen = {source_digest(tmp_path)}

    (tmp_path / "notes.txt").write_text("still not source")
    assert source_digest(tmp_path) in seen, "only Python source counts"

    (tmp_path / "area" / "formula.py").write_text("RATE = 2\n")
    seen.add(source_digest(tmp_path))
    (tmp_path / "area" / "new.py").write_text("")
    seen.add(source_digest(tmp_path))
    (tmp_path / "area" / "new.py").rename(tmp_path / "area" / "renamed.py")
    seen.add(source_digest(tmp_path))

    assert len(seen) == 4


def test_cached_answers_are_kept_under_the_running_code_version():
    assert ResponseCache(get_settings()).prefix.endswith(f":responses:{code_version()}")
    assert len(code_version()) == 16

"""The migration history has one head, so a new revision has one obvious parent."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from district_ppm.db.bootstrap import alembic_config


def test_the_history_has_a_single_head(settings):
    heads = ScriptDirectory.from_config(alembic_config(settings)).get_heads()

    assert len(heads) == 1, f"several heads {heads}: add a merge revision"

"""PostgreSQL array text of the rows the status refresh sends through unnest."""

from __future__ import annotations

import uuid
from datetime import date

from district_ppm.db.array_text import array_text, date_array_text, uuid_array_text


def test_each_kind_of_element_is_written_as_postgresql_reads_it():
    assert array_text([date(2024, 1, 1), date(2024, 2, 1)]) == "{2024-01-01,2024-02-01}"
    assert array_text([True, False]) == "{t,f}"
    assert array_text([3, 0]) == "{3,0}"
    # A float's shortest text: read back as the same double (0.1 + 0.2 is not 0.3).
    assert array_text([0.1 + 0.2, -0.0, 1e-7]) == "{0.30000000000000004,-0.0,1e-07}"
    assert array_text([]) == "{}"


def test_ids_and_days_are_written_as_postgresql_reads_them():
    north = uuid.UUID("00000000-0000-0000-0000-00000000000a")
    assert uuid_array_text([north, None]) == "{00000000-0000-0000-0000-00000000000a,NULL}"
    assert uuid_array_text(iter([])) == "{}"
    # A day repeated is written each time, in the order given.
    days = [date(2024, 2, 1), date(2024, 1, 1), date(2024, 2, 1)]
    assert date_array_text(days) == "{2024-02-01,2024-01-01,2024-02-01}"
    assert date_array_text(iter(days)) == "{2024-02-01,2024-01-01,2024-02-01}"
    assert date_array_text([]) == "{}"

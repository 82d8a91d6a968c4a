"""The KPIs the time-loss worker writes are the template's transportation KPIs, exactly."""

from __future__ import annotations

from district_ppm.processes.template import MEASURES
from district_ppm.transportation.measurements import KPIS


def test_the_worker_creates_each_kpi_as_the_template_defines_it():
    # Given the K-12 template's definition of each transportation KPI
    template = {spec.code: spec for spec in MEASURES}

    # Then the worker, which creates a KPI when the district has none, creates the same one:
    # whichever comes first, the KPI sits in the same logic-model stage (dashboard or
    # scoreboard), is linked to the bus-service process, aggregates the same way and says
    # in words how it is computed.
    for kpi in KPIS:
        assert kpi.spec == template[kpi.code]
        assert template[kpi.code].definition, kpi.code

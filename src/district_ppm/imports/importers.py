"""Imports every module that registers an import kind."""

from district_ppm.measures import importer as measurements  # noqa: F401
from district_ppm.schools import oneroster  # noqa: F401
from district_ppm.transportation import importer as bus_runs  # noqa: F401

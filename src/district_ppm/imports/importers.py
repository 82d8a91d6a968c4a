"""Imports every module that registers an import kind."""

from district_ppm.schools import oneroster  # noqa: F401

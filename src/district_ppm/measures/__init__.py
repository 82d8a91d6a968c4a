"""Measures (KPIs), targets and measurements; scorecards, control charts and comparisons."""

"""Improvement: opportunities and DMAIC projects with their tollgates."""

"""Audit events: who changed what, when, from where, for every mutation."""

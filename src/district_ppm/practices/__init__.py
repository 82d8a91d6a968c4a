"""Practices proven by a project and their adoptions at other schools (gains translated)."""

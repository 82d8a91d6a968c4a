"""Bulk CSV imports over REST: one parser, one error report, one importer per kind."""

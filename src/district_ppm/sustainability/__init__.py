"""Sustainability plans: control measures, reviews, and whether the gains are being held."""

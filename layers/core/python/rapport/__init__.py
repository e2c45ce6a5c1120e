"""Rapport's domain core, shipped to Lambda as the core layer (/opt/python/rapport)."""

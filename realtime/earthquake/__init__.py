"""Earthquake core: pure functions from a ShakeMap and analysis data to an impact."""

"""Volcanic ash core: a thickness forecast raster and population in, people per ash-fall class out."""

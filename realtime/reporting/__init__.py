"""Reporting core: impact documents in, PDF/PNG reports out, in every locale."""

"""One call per hazard, from input to products and reports: paths and values in, no settings."""

"""The `realtime` command line: a thin layer over the runtime's jobs (see `realtime.cli.main`)."""

"""The `werf` command line: thin click commands over werf_core. Prefect is imported only on the --prefect path."""

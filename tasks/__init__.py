"""Prefect tasks: thin wrappers over werf_core (one task per stage, cache key = stage digest)."""

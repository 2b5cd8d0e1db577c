"""Helpers for tests: real services (Docker engine, registry, Prefect server), temporary git repositories."""

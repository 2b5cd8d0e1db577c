"""Prefect flows: build, build-and-publish, stages sync."""

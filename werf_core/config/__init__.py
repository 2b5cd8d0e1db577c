"""werf.yaml: the Go template engine, the typed schema, loading and validation."""

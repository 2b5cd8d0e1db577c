"""The build session: open a project (config, git, stages storage, synchronization) and drive the conveyor.

Every entry point — the CLI, the Prefect flows, the benchmarks — builds through this package."""

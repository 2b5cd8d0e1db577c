"""The builder: build containers, the toolchain, shell/ansible builders, and the conveyor (select → build → publish)."""

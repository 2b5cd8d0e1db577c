"""Builders: how a stage's recipe becomes an image — build instructions, the container runner, the stapel
toolchain, and the shell and ansible builders that turn werf.yaml commands into instructions."""

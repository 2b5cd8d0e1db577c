"""Benchmarks time `werf` as a user runs it: from an installed package, whose modules have bytecode on disk.

Our packages are an editable install; with PYTHONDONTWRITEBYTECODE set (as in CI shells and this harness) no
bytecode would ever be written and every `werf` process would compile ~150 modules from source first (about 0.35 s).
`ensure_bytecode()` compiles what is missing or stale, once, before anything is timed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("werf_core", "werf_cli", "flows", "tasks", "deployments")


def ensure_bytecode() -> str:
    """Byte-compile our packages (cheap when up to date); returns a line for the benchmark's header."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return "bytecode: our packages byte-compiled before timing (as an installed wheel)"

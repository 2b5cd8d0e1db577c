"""Where werf-prefect keeps host state. Read from the environment on every call so tests can isolate it."""

from __future__ import annotations

import os
from pathlib import Path


def werf_home() -> Path:
    return Path(os.environ.get("WERF_HOME") or Path.home() / ".werf")


def locks_dir() -> Path:
    return werf_home() / "service" / "locks"


def tmp_dir() -> Path:
    return Path(os.environ.get("WERF_TMP_DIR") or os.environ.get("TMPDIR") or "/tmp")

"""Headless Chromium (Debian's `chromium`) for looking at the Prefect UI the way a person would.

Each call uses a new, empty profile directory and none of Chromium's background network features, so nothing but
the loopback Prefect server is contacted. `--virtual-time-budget` lets the single-page app fetch its data and
render before the DOM is dumped or the screenshot taken.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def chromium_binary() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise AssertionError("chromium is not installed: run scripts/setup.sh (it installs Debian's chromium)")
    return path


def _run(args: list[str], *, budget_ms: int, timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="werf-chromium-") as profile:
        return subprocess.run([chromium_binary(), *FLAGS, f"--user-data-dir={profile}",
                               f"--virtual-time-budget={budget_ms}", *args],
                              capture_output=True, timeout=timeout)


def dump_dom(url: str, *, budget_ms: int = 20000, timeout: float = 120) -> str:
    result = _run(["--dump-dom", url], budget_ms=budget_ms, timeout=timeout)
    return result.stdout.decode(errors="replace")


def screenshot(url: str, path: Path, *, size: str = "1440,1300", budget_ms: int = 20000, timeout: float = 120) -> Path:
    _run([f"--window-size={size}", f"--screenshot={path}", url], budget_ms=budget_ms, timeout=timeout)
    return path

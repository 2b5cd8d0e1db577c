"""Fixtures for the werf.yaml security tests: a project next to a secret file it must never read."""

from __future__ import annotations

from pathlib import Path

import pytest

SECRET_MARKER = "TOP-SECRET-7f3a9c-registry-password"


@pytest.fixture
def outside_secret(tmp_path: Path) -> Path:
    """A file outside the project holding a marker string (think ~/.docker/config.json)."""
    secret = tmp_path / "outside" / "config.json"
    secret.parent.mkdir()
    secret.write_text('{"auths": {"registry.example": {"auth": "' + SECRET_MARKER + '"}}}\n')
    return secret


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / ".werf").mkdir(parents=True)
    (root / "conf").mkdir()
    (root / "conf" / "app.txt").write_text("app config\n")
    return root

"""Fixtures for the registry client tests (the session registry comes from tests/conftest.py)."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest

from tests.registry.rawapi import RawRegistryAPI
from werf_core.registry import RegistryClient


def fast_client(**kwargs) -> RegistryClient:
    """A client whose retries wait milliseconds, so failure paths stay fast."""
    options = dict(retries=3, timeout=10, retry_base_delay=0.01, retry_max_delay=0.05)
    options.update(kwargs)
    return RegistryClient(**options)


@pytest.fixture
def client():
    with fast_client() as c:
        yield c


@pytest.fixture
def repo(registry):
    """Makes repository names unique to this test: repo("app") -> 127.0.0.1:PORT/t-<id>/app."""
    prefix = f"t-{uuid.uuid4().hex[:10]}"
    return lambda name="img": f"{registry.address}/{prefix}/{name}"


@pytest.fixture
def raw(registry) -> RawRegistryAPI:
    return RawRegistryAPI(registry.url)


def write_docker_config(directory: Path, *, auths: dict | None = None, **extra) -> Path:
    """A Docker client config dir; `auths` maps a registry key to (user, password) or to a raw entry dict."""
    directory.mkdir(parents=True, exist_ok=True)
    entries = {}
    for key, value in (auths or {}).items():
        if isinstance(value, tuple):
            value = {"auth": base64.b64encode(f"{value[0]}:{value[1]}".encode()).decode()}
        entries[key] = value
    (directory / "config.json").write_text(json.dumps({"auths": entries, **extra}))
    return directory

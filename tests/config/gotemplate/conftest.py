"""Fixtures for the Go template engine tests: render a template with Go's builtins only, or with Sprig and
werf's functions (what werf.yaml gets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from werf_core.config.gotemplate import TemplateSet, werf_functions


def make_renderer(funcs: dict | None) -> Callable[..., str]:
    def render(text: str, data: Any = None, *, defs: tuple[str, ...] = (), name: str = "t") -> str:
        ts = TemplateSet(funcs)
        for i, d in enumerate(defs):
            ts.parse(f"d{i}", d)
        ts.parse(name, text)
        return ts.execute(name, data)

    return render


@pytest.fixture(scope="session")
def render_core() -> Callable[..., str]:
    """Go's text/template with its builtin functions only."""
    return make_renderer(None)


@pytest.fixture(scope="session")
def render() -> Callable[..., str]:
    """Go's text/template with Sprig and werf's functions; env is fixed so results do not depend on the host."""
    return make_renderer(werf_functions({"HOME": "/home/werf", "EMPTY": "", "APP_ENV": "production"}))


@pytest.fixture(autouse=True, scope="session")
def _utc_local_time():
    """Dates format in the machine's zone ("Local"); pin it to UTC so expected outputs hold anywhere."""
    import os
    import time

    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()

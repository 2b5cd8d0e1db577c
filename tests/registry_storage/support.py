"""Helpers for the distributed-mode tests: a project built against a registry, and what the registry/engine saw."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx

from tests.support.docker_cleanup import remove_project_images
from tests.support.project import run_werf, werf_env
from tests.support.registry import MANIFEST_TYPES

_UPLOAD_DIGEST = re.compile(r"[?&]digest=(sha256(?::|%3A)[0-9a-f]{64})")


def app_config(project: str, base: str) -> str:
    """An artifact imported into an image with a git mapping and every shell stage: werf's full stage chain."""
    return f"""
    project: {project}
    configVersion: 1
    ---
    artifact: tools
    from: {base}
    shell:
      install:
      - mkdir -p /out/bin
      - printf '#!/bin/sh\\necho tool-ok\\n' > /out/bin/tool
      - chmod 0755 /out/bin/tool
    ---
    image: app
    from: {base}
    git:
    - add: /src
      to: /app
      stageDependencies:
        install: [requirements.txt]
    shell:
      beforeInstall:
      - echo base > /etc/base-marker
      install:
      - sed -e 's/^/locked=/' /app/requirements.txt > /app/deps.lock
      setup:
      - echo setup > /etc/setup-marker
    import:
    - artifact: tools
      add: /out
      to: /opt/tools
      after: install
    docker:
      CMD: ["/opt/tools/bin/tool"]
    """


APP_FILES = {"src/VERSION": "1.0\n", "src/requirements.txt": "a==1\nb==2\n", "src/lib/util.sh": "echo util\n"}


def werf(args: list[str], home: Path, *, check: bool = True, **env):
    return run_werf(args, env=werf_env(home, **env), check=check)


def build_args(command: str, repo_path: Path, stages: str, *extra: str, report: Path | None = None) -> list[str]:
    args = [command, "--dir", str(repo_path), "--stages-storage", stages, "--synchronization", ":local", *extra]
    if report is not None:
        args += ["--report-path", str(report)]
    return args


def read_report(path: Path) -> dict:
    return json.loads(path.read_text())


def statuses(report: dict, image: str) -> dict[str, str]:
    return {s["name"]: s["status"] for s in report["images"][image]["stages"]}


def all_statuses(report: dict) -> set[str]:
    return {s["status"] for i in report["images"].values() for s in i["stages"]}


# ---------------------------------------------------------------- what the registry saw

def blob_uploads(requests: list[tuple[str, str]]) -> list[str]:
    """Digests of completed blob uploads (the final PUT of an upload carries ?digest=)."""
    found = []
    for method, path in requests:
        if method == "PUT" and "/blobs/uploads/" in path:
            match = _UPLOAD_DIGEST.search(path)
            if match:
                found.append(match.group(1).replace("%3A", ":"))
    return found


def blob_downloads(requests: list[tuple[str, str]]) -> list[str]:
    return [path.rsplit("/", 1)[1] for method, path in requests if method == "GET" and "/blobs/sha256:" in path]


def manifest_puts(requests: list[tuple[str, str]]) -> list[str]:
    return [path for method, path in requests if method == "PUT" and "/manifests/" in path]


def manifest(registry, repository: str, reference: str) -> dict:
    response = httpx.get(f"{registry.url}/v2/{repository}/manifests/{reference}",
                         headers={"Accept": MANIFEST_TYPES}, timeout=10)
    response.raise_for_status()
    return response.json()


def manifest_digest(registry, repository: str, reference: str) -> str:
    response = httpx.head(f"{registry.url}/v2/{repository}/manifests/{reference}",
                          headers={"Accept": MANIFEST_TYPES}, timeout=10)
    response.raise_for_status()
    return response.headers["Docker-Content-Digest"]


def layer_digests(registry, repository: str, tags: list[str]) -> set[str]:
    return {layer["digest"] for tag in tags for layer in manifest(registry, repository, tag)["layers"]}


def stage_tags(registry, repository: str) -> list[str]:
    return [t for t in registry.tags(repository) if re.fullmatch(r"[0-9a-f]{56}-\d+", t)]


# ---------------------------------------------------------------- the engine

def forget_project_images(client, project: str) -> None:
    """Remove every image of the project from the engine, as if this were a fresh machine."""
    remove_project_images(client, project)


def image_events(client, since: float, action: str, prefix: str) -> list[str]:
    """Image names of engine events (`pull`, `push`, ...) since `since` whose name starts with `prefix`."""
    events = client.events(since=since, until=time.time() + 1, decode=True,
                           filters={"type": "image", "event": action})
    return [e.get("id") or e.get("Actor", {}).get("ID", "") for e in events
            if (e.get("id") or e.get("Actor", {}).get("ID", "")).startswith(prefix)]


def container_creates(client, since: float, project: str) -> list[dict]:
    events = client.events(since=since, until=time.time() + 1, decode=True,
                           filters={"type": "container", "event": "create"})
    return [e for e in events if e.get("Actor", {}).get("Attributes", {}).get("werf") == project]

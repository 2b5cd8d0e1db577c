"""Build one conformance case with BuildKit and compare final images with werf-prefect's: filesystem and config."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "conformance"
TARGETS = {"target": "two"}
BUILD_ARGS = {"arg": {"W": "w-value"}}
# build secrets (id -> value): `--secret id=ID,src=FILE` for BuildKit, `secrets: [{id, value}]` in werf.yaml
SECRETS = {"run-secret": {"tok": "conformance-secret-value"}}
# cases built FROM another case's BuildKit image (its ONBUILD triggers run): case -> (build arg, base case)
BASED_ON = {"onbuild-child": ("BASE", "onbuild")}
# files the engine puts into every container: the same for both images, not part of either build
RUNTIME_PATHS = {".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf", "dev", "proc", "sys"}
CONFIG_FIELDS = ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
                 "Healthcheck", "StopSignal", "OnBuild", "Shell")


def cases() -> list[str]:
    """Every case, or those named in WERF_DF_CASES (comma-separated) while working on a few."""
    wanted = {c for c in os.environ.get("WERF_DF_CASES", "").split(",") if c}
    return sorted(p.name for p in CASES_DIR.iterdir() if (p / "Dockerfile").is_file()
                  and (not wanted or p.name in wanted))


def case_args(case: str, tags: dict[str, str]) -> dict[str, str]:
    args = dict(BUILD_ARGS.get(case, {}))
    if case in BASED_ON:
        name, base = BASED_ON[case]
        args[name] = tags[base]
    return args


def buildkit_build(case: str, tag: str, args: dict[str, str]) -> None:
    command = ["/usr/bin/docker", "build", "--network=none", "-q", "-t", tag, "-f",
               str(CASES_DIR / case / "Dockerfile")]
    if case in TARGETS:
        command += ["--target", TARGETS[case]]
    for key, value in args.items():
        command += ["--build-arg", f"{key}={value}"]
    import tempfile
    with tempfile.TemporaryDirectory(prefix="conformance-secrets-") as secrets_dir:
        for secret_id, value in SECRETS.get(case, {}).items():
            source = Path(secrets_dir) / secret_id
            source.write_text(value)
            command += ["--secret", f"id={secret_id},src={source}"]
        command.append(str(CASES_DIR / case))
        subprocess.run(command, check=True, capture_output=True, env={**os.environ, "DOCKER_BUILDKIT": "1"},
                       timeout=300)


def werf_config(project: str, tags: dict[str, str]) -> str:
    docs = [f"project: {project}\nconfigVersion: 1\n"]
    for case in cases():
        doc = f"image: {case}\ndockerfile: {case}/Dockerfile\ncontext: {case}\n"
        if case in TARGETS:
            doc += f"target: {TARGETS[case]}\n"
        if case in SECRETS:
            doc += "secrets:\n" + "".join(f"- id: {k}\n  value: {v}\n" for k, v in SECRETS[case].items())
        args = case_args(case, tags)
        if args:
            doc += "args:\n" + "".join(f"  {k}: {v}\n" for k, v in args.items())
        docs.append(doc)
    return "---\n".join(docs)


def filesystem(client: Any, image: str) -> dict[str, tuple[Any, ...]]:
    container = client.api.create_container(image, command=["/none"], network_disabled=True)
    try:
        stream = client.api.export(container["Id"])
        listing: dict[str, tuple[Any, ...]] = {}
        reader = _Chunks(stream)
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                name = member.name.rstrip("/")
                if name.split("/", 1)[0] in RUNTIME_PATHS or name in RUNTIME_PATHS:
                    continue
                digest = ""
                if member.isfile():
                    data = tar.extractfile(member)
                    digest = hashlib.sha256(data.read() if data else b"").hexdigest()
                listing[name] = (member.type, oct(member.mode), member.uid, member.gid, member.size if member.isfile()
                                 else 0, digest, member.linkname)
        return listing
    finally:
        client.api.remove_container(container["Id"], force=True)


def config(client: Any, image: str, *, drop_werf_labels: bool) -> dict[str, Any]:
    runtime = client.api.inspect_image(image).get("Config") or {}
    result = {key: runtime.get(key) or None for key in CONFIG_FIELDS}
    if drop_werf_labels and result["Labels"]:
        labels = {k: v for k, v in result["Labels"].items() if not k.startswith("werf")}
        result["Labels"] = labels or None
    return result


class _Chunks:
    def __init__(self, chunks: Any) -> None:
        self.iterator = iter(chunks)
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            try:
                self.buffer += next(self.iterator)
            except StopIteration:
                break
        if size < 0:
            data, self.buffer = self.buffer, b""
        else:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

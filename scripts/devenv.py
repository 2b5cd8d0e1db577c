"""Bring up (and down) the real services werf-prefect needs on a development or CI machine.

    python scripts/devenv.py up     # Docker engine, a registry on 127.0.0.1, the offline base images
    python scripts/devenv.py down   # stop only what `up` started (by PID)

Reuses what is already there: a Docker engine that answers (`DOCKER_HOST` or the default socket) and a registry that
answers at `WERF_DEV_REGISTRY` (default 127.0.0.1:5000) are left alone. Processes we start record their PID under
`.werf-dev/`, and `down` stops exactly those.

The same functions serve the test fixtures (tests/support/services.py), which start their own throw-away registry.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("WERF_DEV_STATE_DIR", ROOT / ".werf-dev"))
DEFAULT_REGISTRY = os.environ.get("WERF_DEV_REGISTRY", "127.0.0.1:5000")
BUSYBOX_IMAGE = "werf-prefect/busybox:latest"
# dockerd flags for machines without iptables/bridge support (containers then run with networking off).
DOCKERD_FLAGS = os.environ.get(
    "WERF_DEV_DOCKERD_FLAGS", "--iptables=false --bridge=none --ip-forward=false --ip-masq=false").split()


class SetupError(Exception):
    """A service could not be brought up; the message says why and what to do."""


def _say(msg: str) -> None:
    print(f"[devenv] {msg}", flush=True)


# ---------------------------------------------------------------- Docker engine

def docker_client(timeout: int = 120):
    import docker
    return docker.from_env(timeout=timeout)


def docker_engine_answers() -> bool:
    try:
        docker_client(timeout=5).ping()
        return True
    except Exception:
        return False


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def ensure_docker_engine(wait_seconds: float = 60) -> str:
    """Return "reused" or "started"; raise SetupError with a clear reason otherwise."""
    if docker_engine_answers():
        return "reused"
    if os.environ.get("DOCKER_HOST"):
        raise SetupError(f"no Docker engine answers at DOCKER_HOST={os.environ['DOCKER_HOST']}; "
                         "start it, or unset DOCKER_HOST to let setup start a local dockerd")
    dockerd = shutil.which("dockerd")
    if not dockerd:
        raise SetupError("no Docker engine answers and `dockerd` is not installed; "
                         "run `make setup` (installs Debian's docker.io) or point DOCKER_HOST at an engine")
    if os.geteuid() != 0:
        raise SetupError("no Docker engine answers and starting dockerd needs root; run the command as root "
                         "(or with sudo), or start Docker yourself and make /var/run/docker.sock accessible")
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log_path = STATE_DIR / "dockerd.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([dockerd, *DOCKERD_FLAGS], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    (STATE_DIR / "dockerd.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if docker_engine_answers():
            _say(f"started dockerd (pid {proc.pid}, log {log_path})")
            return "started"
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    tail = log_path.read_text(errors="replace").splitlines()[-8:]
    if proc.poll() is None:
        proc.terminate()
    raise SetupError("the Docker engine could not start:\n    " + "\n    ".join(tail) +
                     "\n  (set WERF_DEV_DOCKERD_FLAGS to change dockerd's flags, or DOCKER_HOST to use another engine)")


# ---------------------------------------------------------------- registry

def registry_answers(address: str) -> bool:
    import httpx
    try:
        return httpx.get(f"http://{address}/v2/", timeout=2).status_code in (200, 401)
    except httpx.HTTPError:
        return False


def write_registry_config(directory: Path, address: str, access_log: bool = False) -> Path:
    """A filesystem-backed registry with deletes enabled, listening on `address` (loopback)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "config.yml"
    config.write_text(
        "version: 0.1\n"
        f"log:\n  level: {'info' if access_log else 'warn'}\n  formatter: text\n"
        + ("" if access_log else "  accesslog:\n    disabled: true\n") +
        "storage:\n"
        f"  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        "  delete:\n    enabled: true\n"
        "  maintenance:\n    uploadpurging:\n      enabled: false\n"
        f"http:\n  addr: {address}\n"
    )
    return config


def start_registry(directory: Path, address: str, access_log: bool = False,
                   wait_seconds: float = 20) -> subprocess.Popen:
    binary = shutil.which("docker-registry") or shutil.which("registry")
    if not binary:
        raise SetupError("`docker-registry` is not installed; run `make setup` (installs Debian's docker-registry) "
                         "or set WERF_DEV_REGISTRY to an existing registry")
    config = write_registry_config(directory, address, access_log)
    log = open(directory / "registry.log", "ab")
    proc = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if registry_answers(address):
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    if proc.poll() is None:
        proc.terminate()
    tail = (directory / "registry.log").read_text(errors="replace").splitlines()[-5:]
    raise SetupError(f"the registry could not start on {address}:\n    " + "\n    ".join(tail))


def ensure_registry(address: str = DEFAULT_REGISTRY) -> str:
    if registry_answers(address):
        return "reused"
    directory = STATE_DIR / "registry"
    proc = start_registry(directory, address)
    (STATE_DIR / "registry.pid").write_text(str(proc.pid))
    _say(f"started docker-registry on {address} (pid {proc.pid}, data {directory / 'data'})")
    return "started"


# ---------------------------------------------------------------- offline base images

def busybox_rootfs_tar() -> bytes:
    """A tiny root filesystem: Debian's static busybox with a symlink per applet, /etc/passwd and /etc/group."""
    busybox = Path("/bin/busybox")
    if not busybox.exists():
        raise SetupError("/bin/busybox is missing; run `make setup` (installs Debian's busybox-static)")
    listing = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True).stdout.split()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, 0
            tar.addfile(info)

        def add_file(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))

        for d in ("bin", "etc", "root", "home", "var", "usr", "usr/bin"):
            add_dir(d)
        add_dir("tmp", 0o1777)
        add_file("bin/busybox", busybox.read_bytes(), 0o755)
        for applet in listing:
            if applet == "busybox":
                continue
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, "busybox", 0o777, 0
            tar.addfile(info)
        add_file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
        add_file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
    return buf.getvalue()


def ensure_busybox_image(client=None, name: str = BUSYBOX_IMAGE) -> str:
    """Import the busybox base image into the engine if it is not there; return its ID."""
    import docker.errors
    client = client or docker_client()
    try:
        return client.images.get(name).id
    except docker.errors.ImageNotFound:
        pass
    repo, tag = name.rsplit(":", 1)
    resp = client.api.import_image_from_data(busybox_rootfs_tar(), repository=repo, tag=tag,
                                             changes=['CMD ["/bin/sh"]', "ENV PATH=/usr/bin:/bin"])
    _say(f"imported base image {name} from /bin/busybox")
    del resp
    return client.images.get(name).id


def push_image(client, local: str, remote: str) -> None:
    image = client.images.get(local)
    repo, tag = remote.rsplit(":", 1)
    image.tag(repo, tag)
    for line in client.api.push(repo, tag, stream=True, decode=True):
        if "error" in line:
            raise SetupError(f"pushing {remote} failed: {line['error']}")


def ensure_base_images(registry: str | None) -> list[str]:
    client = docker_client()
    ensure_busybox_image(client)
    names = [BUSYBOX_IMAGE]
    if registry:
        remote = f"{registry}/{BUSYBOX_IMAGE}"
        push_image(client, BUSYBOX_IMAGE, remote)
        names.append(remote)
    return names


# ---------------------------------------------------------------- up / down

def up() -> None:
    engine = ensure_docker_engine()
    _say(f"Docker engine: {engine}")
    registry = DEFAULT_REGISTRY
    _say(f"registry {registry}: {ensure_registry(registry)}")
    for name in ensure_base_images(registry):
        _say(f"base image ready: {name}")


def _stop(pid_file: Path, what: str) -> None:
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    if _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not _pid_alive(pid):
                break
            time.sleep(0.1)
        _say(f"stopped {what} (pid {pid})")
    pid_file.unlink()


def down() -> None:
    _stop(STATE_DIR / "registry.pid", "docker-registry")
    _stop(STATE_DIR / "dockerd.pid", "dockerd")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "up"
    try:
        {"up": up, "down": down}[command]()
    except KeyError:
        print("usage: devenv.py up|down", file=sys.stderr)
        return 2
    except SetupError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

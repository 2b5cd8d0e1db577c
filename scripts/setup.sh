#!/usr/bin/env bash
# One-time (and safe-to-repeat) set-up of a Debian machine for werf-prefect:
#   1. Debian packages that are missing (docker.io, docker-registry, busybox-static, buildah, git, python3-venv);
#   2. a virtualenv in .venv with the project and its test extras (reinstalled when pyproject.toml changes), and
#      our packages byte-compiled (as an installed wheel would be);
#   3. the real services: a Docker engine (started only if none answers), a registry on 127.0.0.1, base images.
# Environment: WERF_DEV_SKIP_APT=1 skips step 1; DOCKER_HOST / WERF_DEV_REGISTRY reuse an existing engine/registry;
# WERF_DEV_SKIP_SERVICES=1 skips step 3; PYTHON picks the interpreter for the virtualenv (>= 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(docker.io docker-registry busybox-static buildah git make python3-venv ca-certificates chromium)

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
            echo "Error: missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
            exit 1
        fi
    fi
    echo "[setup] installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

make_venv() {
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "Error: $python is older than 3.11 (or missing); set PYTHON to a Python 3.11+ interpreter" >&2
        exit 1
    fi
    [ -x .venv/bin/python ] || "$python" -m venv .venv
    local stamp=.venv/.werf-prefect-installed
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "[setup] installing werf-prefect and its dependencies into .venv"
        # compat mode: the checkout is one sys.path entry (a .pth line). The default editable mode installs an
        # import hook that every Python start loads (~30 ms, as much as the interpreter's own start); an installed
        # wheel has neither.
        .venv/bin/pip install -q --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat \
            2> >(grep -v '^WARNING: Location' >&2)
        touch "$stamp"
    fi
    # Our packages are an editable install: without bytecode on disk every `werf` command compiles ~150 modules
    # from source (about 0.35 s) whenever PYTHONDONTWRITEBYTECODE is set, as in CI shells. An installed wheel has
    # bytecode; give the checkout the same (cheap when up to date: only changed files are recompiled).
    .venv/bin/python -m compileall -q werf_core werf_cli flows tasks deployments >/dev/null
}

[ "${WERF_DEV_SKIP_APT:-}" = 1 ] || install_packages
make_venv
[ "${WERF_DEV_SKIP_SERVICES:-}" = 1 ] || .venv/bin/python scripts/devenv.py up

#!/usr/bin/env bash
# The demo project as a git repository of its own: examples/hello-app synced into .werf-dev/demo/hello-app and
# committed only when it changed. Used by `make demo` and by the Prefect targets (the nightly rebuild builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=$PWD/.werf-dev/demo/hello-app
mkdir -p "$DEMO"
# copy the example (not its .git) and make it a repository of its own
tar -C examples/hello-app -cf - . | tar -C "$DEMO" -xf -
cd "$DEMO"
export GIT_AUTHOR_NAME=werf-demo GIT_AUTHOR_EMAIL=demo@werf.invalid GIT_COMMITTER_NAME=werf-demo GIT_COMMITTER_EMAIL=demo@werf.invalid
[ -d .git ] || git init -q -b main
git add -A
git diff --cached --quiet || git commit -qm "hello-app example"
echo "$DEMO"

#!/usr/bin/env bash
# The main job on the embedded default: build examples/hello-app with the local stages storage and run the result.
# Safe to repeat: the project is (re)synced into .werf-dev/demo/hello-app and committed only when it changed, and a
# second run reuses every stage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO=$ROOT/.werf-dev/demo/hello-app
WERF=$ROOT/.venv/bin/werf

"$ROOT/scripts/demo-repo.sh" >/dev/null

echo "[demo] werf build --stages-storage :local  (project dir: $DEMO)"
"$WERF" build --dir "$DEMO" --stages-storage :local --report-path "$ROOT/.werf-dev/demo/build-report.json"

IMAGE=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["images"]["app"]["stageImage"])' "$ROOT/.werf-dev/demo/build-report.json")
echo "[demo] built app image: $IMAGE"
echo "[demo] docker run --rm --network none $IMAGE"
docker run --rm --network none "$IMAGE"

"""What the engine fork server's tests run instead of Prefect's engine (`launcher --module` of this module).

Run as `__main__`, it reads what to do from `probe.json` in its working directory (so the environment, part of a
server's identity, stays the same across tests and they share one server) and writes what it saw to `seen.json`.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path


def main() -> None:
    here = Path.cwd()
    order = json.loads((here / "probe.json").read_text())
    seen = {"pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgid(0), "cwd": str(here),
            "marker": os.environ.get("PROBE_MARKER"), "run_id": os.environ.get("PREFECT__FLOW_RUN_ID"),
            "argv0": sys.argv[0], "threads": threading.active_count()}
    (here / "seen.json").write_text(json.dumps(seen))
    action = order["action"]
    if action == "exit":
        print("to stdout", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        sys.exit(order["code"])
    if action == "raise":
        raise RuntimeError("the probe failed on purpose")
    if action == "wait-for-term":
        def on_term(signum: int, _frame: object) -> None:
            (here / "signal").write_text(str(signum))
            sys.exit(7)
        signal.signal(signal.SIGTERM, on_term)
    if action == "exit-steps":
        atexit.register(lambda: (here / "atexit").write_text("ran"))
        threading.Thread(target=lambda: (time.sleep(0.5), (here / "thread").write_text("joined"))).start()
        return
    (here / "ready").write_text("ready")
    time.sleep(120)


if __name__ == "__main__":
    main()

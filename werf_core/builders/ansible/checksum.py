"""The ansible builder's checksum: what makes an ansible stage's digest change.

As in werf (reference §2.2), every task is serialised on its own, the cache versions (stage-specific first) add one
more item when set, and the items are hashed together. werf marshals each task to YAML and converts that to JSON; we
do the same so the text is stable across runs, processes and dict orderings, and changes with any value.

Canonical form of one task (documented in docs/ansible.md):
  1. YAML round trip (safe_dump, then safe_load): only YAML data survives, tuples become lists.
  2. Mapping keys become strings; dates and times become their ISO text; .inf/.nan stay YAML text; other scalars
     keep their JSON type.
  3. JSON as Go's encoding/json writes it: keys sorted, no spaces, non-ASCII kept, and `<`, `>`, `&`, U+2028,
     U+2029 escaped as \\u003c, \\u003e, \\u0026, \\u2028, \\u2029.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from werf_core.hashing import sha256_hash

_GO_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no spelling for these; keep YAML's so they still hash distinctly
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (datetime.date, datetime.time)):
        return key.isoformat()
    return str(key)


def canonical_task_json(task: Any) -> str:
    """One task as the canonical JSON text that enters the checksum."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    round_tripped = yaml.load(yaml.dump(_plain(task), Dumper=dumper), Loader=loader)
    text = json.dumps(_plain(round_tripped), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)
    for char, escape in _GO_JSON_ESCAPES.items():
        text = text.replace(char, escape)
    return text


def ansible_stage_checksum(tasks: list[dict[str, Any]], stage_cache_version: str | None, cache_version: str | None) -> str:
    """werf's builder checksum for an ansible stage; "" when there are no tasks and no cache versions."""
    items = [canonical_task_json(task) for task in tasks or []]
    versions = [v for v in (stage_cache_version, cache_version) if v]
    if versions:
        items.append(sha256_hash(*versions))
    return sha256_hash(*items) if items else ""

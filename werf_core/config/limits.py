"""Every bound on reading and rendering werf.yaml, in one place.

werf.yaml (and everything it includes) is untrusted input: a pull request built by a CI webhook controls it. These
limits keep one render of it within a few hundred MB of memory and a bounded time, whatever it says. Each is set far
above what real configs need (the largest werf.yaml we know renders to under 1 MiB from under 100 KiB of templates,
with a few thousand template steps), so hitting one means a runaway template, not a big project.
"""

from __future__ import annotations

MiB = 1024 * 1024

# --- files read while rendering -------------------------------------------------------------------------------------

MAX_TEMPLATE_FILE_BYTES = 4 * MiB
"""werf.yaml itself and each `.werf/**/*.tmpl` partial. Hand-written templates are kilobytes."""

MAX_PROJECT_FILE_BYTES = 16 * MiB
"""One file read by `.Files.Get` / `.Files.Glob` (configs, scripts, small assets)."""

MAX_READ_BYTES_PER_RENDER = 64 * MiB
"""All bytes one render reads from the project (werf.yaml, partials, `.Files`); a `.Files.Glob "**"` over a big
repository stops here instead of loading it into memory."""

MAX_GLOB_MATCHES = 10_000
"""Files one `.Files.Glob` returns."""

# --- values and output while rendering ------------------------------------------------------------------------------

MAX_RENDERED_CHARS = 16 * MiB
"""The rendered werf.yaml (characters). The YAML loader that reads it needs several times this in memory; 16 MiB is
over ten times the largest real config."""

MAX_STRING_CHARS = 16 * MiB
"""Any string a template function makes (`repeat`, `indent`, `printf "%*d"`, `join`, `include` ...): a longer one
could never be part of a valid rendered output."""

MAX_COLLECTION_ITEMS = 1_000_000
"""Items of a list or dict a template function makes (`until`, `untilStep`, `concat`, `append` ...) and iterations
of one `range` over an integer."""

MAX_REGEX_MATCHES = 100_000
"""Matches one `regexFindAll` / `regexSplit` / `regexReplaceAll` collects (each costs a round trip to RE2)."""

MAX_RENDER_WORK = 2_000_000
"""Work units of one render: one per function call, template call and loop iteration, plus the size of every value
a function returns (items or characters, / 16). Bounds the time of loops (`range` over a huge `until`, `append` in a
loop, `include` recursion that fans out) to seconds. A 2,000-line werf.yaml with 50 images uses about 6,000."""

MAX_RENDER_SECONDS = 60.0
"""Wall-clock backstop for one render, for function calls whose cost the work units underestimate on a slow machine.
MAX_RENDER_WORK normally stops a runaway template long before."""

def human_size(n: int) -> str:
    """16777216 → "16 MiB"; used in messages so they name the limit the way it is documented."""
    if n >= MiB and n % MiB == 0:
        return f"{n // MiB} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KiB"
    return f"{n} bytes"

"""Bounded rendering: one-line werf.yaml bombs stop quickly with an error naming the limit, in bounded memory.

Every bomb renders in a child process whose address space is capped (RLIMIT_AS): without the limits most of them
would need gigabytes, or run for hours. The child reports the error and its peak RSS; the test checks the message,
the elapsed time and the memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from werf_core.config.gotemplate import TemplateSet, werf_functions
from werf_core.errors import ConfigError

pytestmark = pytest.mark.timeout(300)

ADDRESS_SPACE_LIMIT = 1536 * 1024 * 1024  # the child cannot allocate the gigabytes an unbounded bomb needs
PEAK_RSS_LIMIT_MB = 700
SECONDS_LIMIT = 45  # wall clock, interpreter start included, on a loaded 2-core machine

_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from pathlib import Path
    from werf_core.config.loader import render_config
    from werf_core.errors import ConfigError
    project = Path(sys.argv[1])
    start = time.monotonic()
    try:
        out = render_config(project, project / "werf.yaml")
        result = {{"ok": True, "size": len(out), "head": out[:200]}}
    except ConfigError as err:
        result = {{"ok": False, "error": err.render()[-4000:]}}
    except MemoryError:
        result = {{"ok": False, "error": "MemoryError escaped"}}
    result["seconds"] = time.monotonic() - start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
""").format(limit=ADDRESS_SPACE_LIMIT)


def render_in_child(tmp_path: Path, werf_yaml: str) -> dict:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "werf.yaml").write_text(werf_yaml)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(project)], capture_output=True, text=True,
                          timeout=SECONDS_LIMIT * 3, cwd=Path(__file__).resolve().parents[3])
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["elapsed"] = elapsed
    return result


BOMBS = [
    pytest.param('{{ repeat 1000000000 "x" }}', "MAX_STRING_CHARS", id="repeat"),
    pytest.param('{{ $s := "xy" }}{{ range until 64 }}{{ $s = printf "%s%s" $s $s }}{{ end }}{{ len $s }}',
                 "MAX_STRING_CHARS|MAX_RENDER_WORK", id="printf-doubling"),
    pytest.param('{{ $s := "xy" }}{{ range until 64 }}{{ $s = cat $s $s }}{{ end }}',
                 "MAX_STRING_CHARS|MAX_RENDER_WORK", id="cat-doubling"),
    pytest.param('{{ printf (repeat 100 "%[1]999999d") 1 }}', "MAX_STRING_CHARS", id="printf-widths"),
    pytest.param('{{ indent 1000000000 "x" }}', "MAX_STRING_CHARS", id="indent"),
    pytest.param('{{ nindent 100000 (repeat 100000 "\\n") }}', "MAX_STRING_CHARS", id="nindent-lines"),
    pytest.param('{{ until 1000000000 | len }}', "MAX_COLLECTION_ITEMS", id="until"),
    pytest.param('{{ untilStep 0 100000000000 3 | len }}', "MAX_COLLECTION_ITEMS", id="untilStep"),
    pytest.param('{{ seq 1000000000 | len }}', "MAX_COLLECTION_ITEMS", id="seq"),
    pytest.param('{{ range 100000000000 }}{{ end }}', "MAX_COLLECTION_ITEMS", id="range-over-int"),
    pytest.param('{{ range until 1000000 }}{{ range until 1000000 }}{{ end }}{{ end }}', "MAX_RENDER_WORK",
                 id="nested-ranges"),
    pytest.param('{{ $l := list 1 }}{{ range until 64 }}{{ $l = concat $l $l }}{{ end }}', "MAX_COLLECTION_ITEMS",
                 id="concat-doubling"),
    pytest.param('{{ $l := list }}{{ range until 1000000 }}{{ $l = append $l . }}{{ end }}', "MAX_RENDER_WORK",
                 id="append-loop"),
    pytest.param('{{ $l := list (repeat 1000000 "x") }}{{ range until 30 }}{{ $l = list $l $l }}{{ end }}'
                 '{{ toJson $l }}', "MAX_STRING_CHARS", id="toJson-shared"),
    pytest.param('{{ $l := list (repeat 1000000 "x") }}{{ range until 30 }}{{ $l = list $l $l }}{{ end }}{{ $l }}',
                 "MAX_STRING_CHARS", id="print-shared"),
    pytest.param('{{ $l := list (repeat 1000000 "x") }}{{ range until 30 }}{{ $l = list $l $l }}{{ end }}'
                 '{{ deepCopy $l | len }}', "MAX_STRING_CHARS", id="deepCopy-shared"),
    pytest.param('{{ range until 100000 }}{{ repeat 1000 "x" }}{{ end }}', "MAX_RENDERED_CHARS", id="output"),
    pytest.param('{{ randAlphaNum 1000000000 }}', "MAX_STRING_CHARS", id="randAlphaNum"),
    pytest.param('{{ randBytes 1000000000 | len }}', "MAX_STRING_CHARS", id="randBytes"),
    pytest.param('{{ replace "" (repeat 10000 "y") (repeat 100000 "x") | len }}', "MAX_STRING_CHARS",
                 id="replace-empty"),
    pytest.param('{{ wrapWith 1 (repeat 10000 "-") (repeat 100000 "x ") | len }}', "MAX_STRING_CHARS",
                 id="wrapWith"),
    pytest.param('{{ splitList "" (repeat 8000000 "ab") | len }}', "MAX_COLLECTION_ITEMS", id="splitList"),
    pytest.param('{{ regexFindAll "." (repeat 200000 "x") -1 | len }}', "MAX_REGEX_MATCHES", id="regexFindAll"),
    pytest.param('{{ range until 100000 }}{{ regexReplaceAll "x" (repeat 90000 "x") "y" | len }}{{ end }}',
                 "MAX_RENDER_WORK", id="regex-in-a-loop"),
    pytest.param('{{ define "a" }}{{ include "b" . }}{{ include "b" . }}{{ end }}'
                 + "".join(f'{{{{ define "{x}" }}}}{{{{ include "{y}" . }}}}{{{{ include "{y}" . }}}}{{{{ end }}}}'
                           for x, y in zip("bcdefghijklmnopqrstuvw", "cdefghijklmnopqrstuvwx"))
                 + '{{ define "x" }}x{{ end }}{{ include "a" . | len }}', "MAX_RENDER_WORK", id="include-fan-out"),
    pytest.param('{{ range until 1000 }}{{ tpl (printf "%s%d" (repeat 1000000 "x") .) $ | len }}{{ end }}',
                 "MAX_RENDER_WORK", id="tpl-big-texts"),
]


@pytest.mark.parametrize("werf_yaml, limit", BOMBS)
def test_bomb_stops_fast_in_bounded_memory_naming_the_limit(tmp_path, werf_yaml, limit):
    result = render_in_child(tmp_path, werf_yaml)
    assert not result["ok"], result
    # a doubling loop may hit the size of one value or the total work first: either stops it safely
    assert any(name in result["error"] for name in limit.split("|")), result["error"]
    assert "werf.yaml:1" in result["error"], result["error"]
    assert "Hint:" in result["error"] and "werf_core/config/limits.py" in result["error"]
    assert result["elapsed"] < SECONDS_LIMIT, result
    assert result["peak_rss_mb"] < PEAK_RSS_LIMIT_MB, result


def test_printf_ignores_widths_over_a_million_like_go(tmp_path):
    # Go's fmt: a literal width over 1e6 is no width and swallows the rest of the verb; `*` widths give BADWIDTH
    result = render_in_child(tmp_path, '{{ printf "%1000000000d" 1 }}|{{ printf "%*d" 1000000000 7 }}|'
                                       '{{ printf "%.*d" 2000000 7 }}|{{ printf "%5d" 7 }}')
    assert result["ok"] and result["head"] == "%!(NOVERB)%!(EXTRA int=1)|%!(BADWIDTH)7|%!(BADPREC)7|    7"


# --- real-world use stays far below the limits -----------------------------------------------------------------------

def _render(text: str) -> str:
    ts = TemplateSet(werf_functions({}))
    ts.parse("werf.yaml", text)
    return ts.execute("werf.yaml", {})


def test_generous_uses_render():
    out = _render('{{ repeat 100000 "x" | len }} {{ until 100000 | len }} {{ indent 100 (repeat 1000 "l\\n") | len }} '
                  '{{ $l := list }}{{ range until 2000 }}{{ $l = append $l . }}{{ end }}{{ len $l }} '
                  '{{ range until 300 }}{{ range until 300 }}{{ end }}{{ end }}ok')
    assert out == "100000 100000 102100 2000 ok"


def test_limit_errors_name_the_template_line():
    with pytest.raises(ConfigError) as info:
        _render('line one\n{{ repeat 100000000 "xx" }}')
    err = info.value
    assert err.line == 2 and "MAX_STRING_CHARS" in err.message and "repeat" in err.message

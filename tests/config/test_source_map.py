"""Rendered lines → the lines the user wrote (werf_core.config.source_map)."""

from __future__ import annotations

from werf_core.config.source_map import ErrorReporter, SourceLocation, SourceMap

SOURCE = """\
project: demo
configVersion: 1
---
{{ $base := "alpine" }}
image: app
from: {{ $base }}
fromImge: x
{{- range $i := until 2 }}
---
image: worker{{ $i }}
from: alpine
{{- end }}
"""

RENDERED = """\
project: demo
configVersion: 1
---

image: app
from: alpine
fromImge: x
---
image: worker0
from: alpine
---
image: worker1
from: alpine
"""


def test_without_template_actions_lines_coincide():
    text = "a: 1\nb: 2\nc: 3\n"
    source_map = SourceMap(text, text)
    assert [source_map.source_line(n) for n in (1, 2, 3)] == [(1, True), (2, True), (3, True)]


def test_lines_copied_verbatim_map_exactly_even_after_template_actions():
    source_map = SourceMap(SOURCE, RENDERED)
    assert source_map.source_line(5) == (5, True)    # image: app
    assert source_map.source_line(7) == (7, True)    # fromImge: x, after two template actions


def test_a_line_changed_by_an_action_maps_to_the_action_line():
    source_map = SourceMap(SOURCE, RENDERED)
    assert source_map.source_line(6) == (6, False)   # from: {{ $base }} → from: alpine


def test_lines_produced_by_a_range_map_into_the_range_body():
    source_map = SourceMap(SOURCE, RENDERED)
    line, exact = source_map.source_line(12)            # image: worker1
    assert 8 <= line <= 12 and not exact


def test_error_quotes_the_source_line_when_exact():
    reporter = ErrorReporter("werf.yaml", SOURCE, RENDERED)
    err = reporter.error('unknown key "fromImge"', 7)
    assert err.path == "werf.yaml" and err.line == 7
    assert "7 | fromImge: x" in err.snippet
    assert "rendered" not in err.snippet


def test_error_in_templated_line_quotes_source_and_rendered_text():
    reporter = ErrorReporter("werf.yaml", SOURCE, RENDERED)
    err = reporter.error("bad base", 6)
    assert err.line == 6
    assert "6 | from: {{ $base }}" in err.snippet
    assert "rendered by the template as:" in err.snippet
    assert "from: alpine" in err.snippet.split("rendered by the template as:")[1]
    assert str(err).startswith("werf.yaml:6: bad base")


def test_long_spans_are_cut():
    text = "\n".join(f"line{n}: {n}" for n in range(1, 30))
    err = ErrorReporter("w.yaml", text, text).error("long", 2, 25)
    assert err.snippet.count("|") == 9            # 8 lines and the ellipsis
    assert err.snippet.rstrip().endswith("...")


def test_error_without_a_line_names_only_the_file():
    err = ErrorReporter("werf.yaml", "a: 1", "a: 1").error("no meta", hint="add one")
    assert err.line is None and str(err) == "werf.yaml: no meta" and err.hint == "add one"


def test_location_of_a_document():
    reporter = ErrorReporter("werf.yaml", SOURCE, RENDERED)
    assert reporter.location(5) == SourceLocation("werf.yaml", 5)
    assert str(reporter.location(5)) == "werf.yaml:5"

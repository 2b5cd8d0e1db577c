"""Executing templates: Go's semantics for data access, control structures, variables, builtins and printing.

Expected outputs are Go's (checked against Go's text/template; features of Go 1.22+ — range over an integer,
else-with — follow the current Go documentation).
"""

from __future__ import annotations

import pytest

from werf_core.config.gotemplate import TemplateError, TemplateSet, gofunc


@pytest.mark.parametrize("text, data, expected", [
    ("a {{ .x }} b", {"x": 1}, "a 1 b"),
    # a missing key prints <no value>, like Go's default for map[string]interface{}
    ("{{ .x }}|{{ .y.z }}|{{ .n }}", {"x": "s", "n": None}, "s|<no value>|<no value>"),
    ("{{ .a.b.c }}", {"a": {"b": {"c": "deep"}}}, "deep"),
    ('{{ (index .m "k").f }}', {"m": {"k": {"f": "F"}}}, "F"),
    ("{{ $x := .m }}{{ $x.k.f }} {{ $.m.k.f }}", {"m": {"k": {"f": "F"}}}, "F F"),
    ("{{ .m }} {{ .l }} {{ .f }} {{ .b }}",
     {"m": {"b": {"x": None}, "a": 1.5}, "l": [[1, 2], {}], "f": 2.0, "b": False},
     "map[a:1.5 b:map[x:<nil>]] [[1 2] map[]] 2 false"),
    ("{{ . }}", None, "<no value>"),
    ("{{ . }}", "plain", "plain"),
])
def test_data_access(render_core, text, data, expected):
    assert render_core(text, data) == expected


@pytest.mark.parametrize("text, data, expected", [
    ("{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}", {"b": 1}, "B"),
    ("{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}", {}, "C"),
    ("{{ if and .a (eq .a.b 1) }}y{{ else }}n{{ end }}", {}, "n"),
    ("{{ with .a }}[{{ . }}]{{ else }}none{{ end }}", {"a": "x"}, "[x]"),
    ("{{ with $x := .a }}{{ $x }}{{ end }}{{ with .missing }}x{{ else with .a }}w{{ . }}{{ end }}", {"a": 3},
     "3w3"),
    ("{{ range $i, $v := .l }}{{ $i }}={{ $v }};{{ else }}empty{{ end }}", {"l": ["x", "y"]}, "0=x;1=y;"),
    ("{{ range .l }}{{ . }}{{ else }}empty{{ end }}", {"l": []}, "empty"),
    ("{{ range .missing }}x{{ else }}none{{ end }}", {}, "none"),
    # maps range in sorted key order
    ("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", {"m": {"b": 2, "a": 1, "c": [1, 2]}},
     "a=1;b=2;c=[1 2];"),
    ("{{ range .m }}{{ . }}{{ end }}", {"m": {"z": 1, "a": 2}}, "21"),
    ("{{ range .l }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ if eq . 4 }}{{ break }}{{ end }}{{ . }}{{ end }}",
     {"l": [1, 2, 3, 4, 5]}, "13"),
    # Go 1.22: range over an integer
    ("{{ range 3 }}{{ . }}{{ end }}", {}, "012"),
    ("{{ range $i := 3 }}<{{ $i }}>{{ end }}", {}, "<0><1><2>"),
    ("{{ range 0 }}x{{ else }}zero{{ end }}", {}, "zero"),
    ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", {}, "2"),
    ("{{ $x := 1 }}{{ range .l }}{{ $x = . }}{{ end }}{{ $x }}", {"l": [7, 8]}, "8"),
    ("{{ range $i, $e := .l }}{{ $i }}{{ $e }}{{ end }}{{ $x := 5 }}{{ $x }}", {"l": ["a"]}, "0a5"),
])
def test_control_structures(render_core, text, data, expected):
    assert render_core(text, data) == expected


def test_templates_define_block_and_template(render_core):
    text = '{{ define "a" }}[{{ . }}]{{ end }}{{ template "a" 5 }}{{ block "b" . }}B{{ . }}{{ end }}'
    assert render_core(text, 7) == "[5]B7"
    assert render_core('{{ template "d0" "x" }}', defs=('<{{ . }}>',)) == "<x>"


def test_templates_see_no_caller_variables(render_core):
    text = '{{ define "a" }}{{ $ }}{{ end }}{{ $v := 1 }}{{ template "a" "dot" }}'
    assert render_core(text, {}) == "dot"


def test_later_definitions_replace_earlier_ones_but_empty_ones_do_not():
    ts = TemplateSet()
    ts.parse("a", '{{ define "x" }}first{{ end }}')
    ts.parse("b", '{{ define "x" }}second{{ end }}')
    ts.parse("c", '{{ define "x" }}   {{ end }}')
    ts.parse("main", '{{ template "x" }}')
    assert ts.execute("main", None) == "second"


@pytest.mark.parametrize("text, expected", [
    ("{{ 'a' }} {{ 0x1F }} {{ 1e3 }} {{ 1.0 }} {{ -5 }} {{ 0b101 }} {{ 1_000 }} {{ `raw\\n` }} "
     '{{ "esc\\t\\u00e9" }}', "97 31 1000 1 -5 5 1000 raw\\n esc\té"),
    ("{{ and 1 0 2 }} {{ or 0 \"\" \"x\" }} {{ and 1 2 }} {{ or 0 false }} {{ not 0 }}", "0 x 2 false true"),
    ('{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2.5 }}',
     "true true true true true true false"),
    ('{{ eq .missing "x" }} {{ eq .missing nil }}', "false true"),
    ('{{ len "héllo" }} {{ index "abc" 1 }} {{ print 1 2 "a" "b" 3 nil }}', "6 98 1 2ab3 <nil>"),
    ('{{ html "<a href=\'x\'>&" }} {{ js "a\'b\\"c<d>" }} {{ urlquery "a b&c=d/é" }}',
     "&lt;a href=&#39;x&#39;&gt;&amp; a\\'b\\\"c\\u003Cd\\u003E a+b%26c%3Dd%2F%C3%A9"),
    ('{{ println 1 "x" }}', "1 x\n"),
    ('{{ "x" | printf "%s-%s" "y" }}', "y-x"),
    ("{{ slice \"abcdef\" 1 3 }} {{ slice .l 1 }}", "bc [2 3]"),
])
def test_builtin_functions(render_core, text, expected):
    assert render_core(text, {"l": [1, 2, 3]}) == expected


def test_and_or_short_circuit_does_not_evaluate_the_rest():
    calls = []

    @gofunc("any")
    def track(v):
        calls.append(v)
        return v

    ts = TemplateSet({"track": track})
    ts.parse("t", "{{ and (track 0) (track 1) }}|{{ or (track 2) (track 3) }}")
    assert ts.execute("t", None) == "0|2"
    assert calls == [0, 2]


def test_call_invokes_a_function_value(render_core):
    assert render_core("{{ call .f 2 3 }}", {"f": lambda a, b: a * b}) == "6"


def test_methods_on_objects_take_arguments(render):
    assert render('{{ (semver "1.2.3").Major }}|{{ $v := semver "2.0.0" }}{{ $v.Compare (semver "1.0.0") }}') == \
        "1|1"


def test_user_functions_with_go_signatures_check_argument_types():
    @gofunc("int", "string")
    def rep(n, s):
        return s * n

    ts = TemplateSet({"rep": rep, "plain": lambda *a: "-".join(map(str, a))})
    ts.parse("t", '{{ rep 2 "ab" }} {{ plain 1 2 }}')
    assert ts.execute("t", None) == "abab 1-2"
    ts.parse("bad", '{{ rep "2" "ab" }}')
    with pytest.raises(TemplateError) as err:
        ts.execute("bad", None)
    assert err.value.go_message.endswith('expected integer; found "2"')


def test_int_and_float_literals_are_distinct_types(render):
    assert render("{{ typeOf 1 }} {{ typeOf 1.5 }} {{ typeOf 1.0 }} {{ typeOf 'a' }} {{ typeOf 1e2 }}") == \
        "int float64 float64 int float64"


def test_literals_adapt_to_parameter_types(render):
    # 2.0 is an acceptable int argument, like in Go
    assert render('{{ trunc 2.0 "hello" }}') == "he"


def test_executing_an_unknown_template_names_the_set():
    ts = TemplateSet()
    ts.parse("werf.yaml", "x")
    with pytest.raises(TemplateError) as err:
        ts.execute("nope", None)
    assert err.value.go_message == 'template: no template "nope" associated with template "werf.yaml"'


def test_parsed_templates_are_reused_from_the_cache():
    text = "{{ .x }}" * 50
    a, b = TemplateSet(), TemplateSet()
    a.parse("t", text)
    b.parse("t", text)
    assert a.lookup_tree("t") is b.lookup_tree("t")
    assert a.execute("t", {"x": 1}) == "1" * 50

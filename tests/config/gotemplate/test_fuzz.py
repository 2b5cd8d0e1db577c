"""Robustness: random mutations of valid templates end in a rendered string or a TemplateError, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from werf_core.config.gotemplate import TemplateError, TemplateSet, werf_functions

SEEDS = [
    'project: {{ .name | default "x" | quote }}\n{{- range $i, $v := .list }}\n- {{ $i }}: {{ $v | upper }}{{ end }}',
    '{{ define "a" }}[{{ . }}]{{ end }}{{ template "a" .name }}{{ include "a" (dict "k" 1) | indent 2 }}',
    '{{ if and .flag (eq .name "w") }}yes{{ else if .list }}{{ len .list }}{{ else }}no{{ end }}',
    '{{ $m := merge (dict "a" 1) .map }}{{ toYaml $m | nindent 2 }}{{ toJson .list }}',
    '{{ with .map }}{{ .a }}{{ else }}none{{ end }}{{ printf "%05.2f|%-4s|%q" 3.14159 "x" .name }}',
    '{{ regexReplaceAll "(a+)" .name "<$1>" }}{{ splitList "," "a,b" | last }}{{ semverCompare "^1" "1.2.3" }}',
    '{{ range until 3 }}{{ if eq . 1 }}{{ continue }}{{ end }}{{ . }}{{ end }}{{ tpl "{{ .name }}" . }}',
    '{{- /* comment */ -}} {{ index .map "a" }} {{ slice .list 1 }} {{ .missing.deep }} {{ 1.5 | int }}',
]
ALPHABET = list("{}()|$.\"'`-=:, \n\tabcdefghijklmnopqrstuvwxyz0123456789%*[]!") + [
    "{{", "}}", "{{-", "-}}", "end", "else", "if", "range", "with", "define", "template", "block", "break",
    "continue", "nil", "true", ".name", ".list", "$x", ":=", "include", "tpl", "required", "fail", "index",
]

_FUNCS = werf_functions({"HOME": "/home"})
_DATA = {"name": "werf", "list": [1, "two", None], "map": {"a": 1, "b": [1]}, "flag": True}


@st.composite
def mutated_templates(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw(st.sampled_from(ALPHABET))
        if op == "insert":
            text = text[:pos] + piece + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 5)):]
        elif op == "replace":
            text = text[:pos] + piece + text[pos + len(piece):]
        else:
            end = min(len(text), pos + draw(st.integers(1, 30)))
            text = text[:end] + text[pos:end] + text[end:]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_templates())
def test_mutated_templates_render_or_raise_template_error(text):
    ts = TemplateSet(_FUNCS)
    try:
        ts.parse("t", text)
        result = ts.execute("t", _DATA)
    except TemplateError as err:
        assert err.go_message.startswith("template: ")
        return
    assert isinstance(result, str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=25))
def test_arbitrary_action_soup_never_crashes(pieces):
    ts = TemplateSet(_FUNCS)
    try:
        ts.parse("t", "{{ " + " ".join(pieces) + " }}")
        ts.execute("t", _DATA)
    except TemplateError:
        pass

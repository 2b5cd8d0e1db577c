"""werf's functions: include, tpl, required, fail, env/expandenv, toYaml/fromYaml (Helm's semantics)."""

from __future__ import annotations

import pytest

from werf_core.config.gotemplate import TemplateError


def test_include_renders_a_named_template_into_a_string(render):
    defs = ('{{ define "greet" }}hello {{ .name }}{{ end }}',)
    assert render('{{ include "greet" (dict "name" "werf") | upper }}', defs=defs) == "HELLO WERF"
    assert render('{{ include "greet" (dict "name" "x") | indent 2 }}', defs=defs) == "  hello x"


def test_tpl_renders_a_string_as_a_template_with_data(render):
    assert render('{{ tpl "{{ .a }}-{{ .b | default 2 }}" (dict "a" 1) }}') == "1-2"
    assert render('{{ tpl .t . }}', {"t": "{{ .v }}", "v": "value"}) == "value"


def test_tpl_defines_become_available_to_include(render):
    assert render('{{ tpl "{{ define \\"x\\" }}X{{ end }}" . }}{{ include "x" . }}') == "X"


def test_required_passes_values_and_rejects_missing_or_empty(render):
    assert render('{{ required "need a" .a }}', {"a": "ok"}) == "ok"
    assert render('{{ required "need a" .a }}', {"a": 0}) == "0"
    for data in ({}, {"a": ""}, {"a": None}):
        with pytest.raises(TemplateError) as err:
            render('{{ required "a is required" .a }}', data)
        assert err.value.go_message.endswith("error calling required: a is required")


def test_fail_stops_rendering_with_the_message(render):
    with pytest.raises(TemplateError) as err:
        render('line\n{{ fail "unsupported target" }}')
    assert err.value.go_message == ('template: t:2:3: executing "t" at <fail "unsupported target">: '
                                    'error calling fail: unsupported target')


def test_env_reads_the_given_environment(render):
    assert render('{{ env "APP_ENV" }}|{{ env "UNSET" }}|{{ env "UNSET" | default "dev" }}') == "production||dev"
    assert render('{{ expandenv "$APP_ENV-${HOME}" }}') == "production-/home/werf"


def test_to_yaml_prints_like_helm(render):
    text = '{{ toYaml (dict "b" (list 1 "yes" "a: b" "") "a10" 1 "a2" (dict) "f" 1.5 "n" nil "m" "x\\ny") }}'
    assert render(text) == ('a2: {}\n'
                            'a10: 1\n'
                            'b:\n- 1\n- "yes"\n- \'a: b\'\n- ""\n'
                            'f: 1.5\n'
                            'm: |-\n  x\n  y\n'
                            '"n": null')  # yaml.v2 reads a bare n as false, so it quotes it


def test_to_yaml_nests_with_nindent(render):
    text = 'env:{{ toYaml (dict "A" "1" "B" "two") | nindent 2 }}'
    assert render(text) == 'env:\n  A: "1"\n  B: two'


def test_from_yaml_gives_maps_with_json_numbers(render):
    text = '{{ $v := fromYaml "a: 1\\nb: [x, yes]\\nc: {d: null}\\nt: 2024-01-01" }}{{ $v.a }} {{ typeOf $v.a }} ' \
           '{{ $v.b }} {{ $v.c }} {{ $v.t }}'
    assert render(text) == "1 float64 [x true] map[d:<nil>] 2024-01-01"


def test_from_yaml_of_invalid_input_returns_an_error_key(render):
    out = render('{{ $v := fromYaml "a: [b" }}{{ hasKey $v "Error" }}|{{ $v.Error }}')
    assert out.startswith("true|error converting YAML to JSON: yaml: line ")
    assert render('{{ (fromYaml "- 1").Error }}').endswith(
        "cannot unmarshal array into Go value of type map[string]interface {}")


def test_from_json_and_to_json_round_trip(render):
    assert render('{{ fromJson "{\\"b\\":[1,2],\\"a\\":\\"<x>\\"}" | toJson }}') == '{"a":"\\u003cx\\u003e","b":[1,2]}'
    assert render('{{ mustToJson (dict "k" (list 1.5 true nil)) }}') == '{"k":[1.5,true,null]}'

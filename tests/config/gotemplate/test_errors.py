"""Execution errors: Go's wording and positions, and robustness — every malformed template or bad argument ends
in a TemplateError, never in a Python exception."""

from __future__ import annotations

import pytest

from werf_core.config.gotemplate import TemplateError, TemplateSet, werf_functions


@pytest.mark.parametrize("text, data, message", [
    ('{{ .n.z }}', {'n': None},
     'template: t:1:5: executing "t" at <.n.z>: nil pointer evaluating interface {}.z'),
    ('{{ .s.z }}', {'s': 'str'},
     'template: t:1:5: executing "t" at <.s.z>: can\'t evaluate field z in type interface {}'),
    ('{{ with .s }}{{ .z }}{{ end }}', {'s': 'str'},
     'template: t:1:16: executing "t" at <.z>: can\'t evaluate field z in type string'),
    ('{{ .x 1 }}', {'x': 1},
     'template: t:1:3: executing "t" at <.x>: x is not a method but has arguments'),
    ('{{ nil }}', {},
     'template: t:1:3: executing "t" at <nil>: nil is not a command'),
    ('{{ template "nope" }}', {},
     'template: t:1:12: executing "t" at <{{template "nope"}}>: template "nope" not defined'),
    ('{{ index .l 5 }}', {'l': [1]},
     'template: t:1:3: executing "t" at <index .l 5>: error calling index: index out of range: 5'),
    ('{{ len 3 }}', {},
     'template: t:1:3: executing "t" at <len 3>: error calling len: len of type int'),
    ('{{ eq 1 1.0 }}', {},
     'template: t:1:3: executing "t" at <eq 1 1.0>: error calling eq: incompatible types for comparison: int and float64'),
    ('{{ range $i, $e := . }}{{ $i }}{{ end }}', 'str',
     'template: t:1:19: executing "t" at <.>: range can\'t iterate over str'),
    ('{{ 3 | len }}', {},
     'template: t:1:7: executing "t" at <len>: error calling len: len of type int'),
    ('{{ trunc (add 1 2) "hello" }}', {},
     'template: t:1:16: executing "t" at <2>: wrong type for value; expected int; got int64'),
    ('{{ upper .missing }}', {},
     'template: t:1:9: executing "t" at <.missing>: invalid value; expected string'),
    ('{{ upper .n }}', {'n': None},
     'template: t:1:9: executing "t" at <.n>: wrong type for value; expected string; got interface {}'),
    ('{{ div 1 0 }}', {},
     'template: t:1:3: executing "t" at <div 1 0>: error calling div: runtime error: integer divide by zero'),
    ('{{ first "x" }}', {},
     'template: t:1:3: executing "t" at <first "x">: error calling first: Cannot find first on type string'),
    ('{{ last nil }}', {},
     'template: t:1:3: executing "t" at <last nil>: error calling last: runtime error: invalid memory address or nil pointer dereference'),
    ('{{ regexFindAll "[" "x" -1 }}', {},
     'template: t:1:3: executing "t" at <regexFindAll "[" "x" -1>: error calling regexFindAll: regexp: Compile(`[`): error parsing regexp: missing closing ]: `[`'),
    ('{{ set (split "," "a") "k" 1 }}', {},
     'template: t:1:18: executing "t" at <"a">: wrong type for value; expected map[string]interface {}; got map[string]string'),
    ('{{ semverCompare "bad" "1.0.0" }}', {},
     'template: t:1:3: executing "t" at <semverCompare "bad" "1.0.0">: error calling semverCompare: improper constraint: bad'),
    ('{{ mustToDate "2006-01-02" "2020-13-01" }}', {},
     'template: t:1:3: executing "t" at <mustToDate "2006-01-02" "2020-13-01">: error calling mustToDate: parsing time "2020-13-01": month out of range'),
])
def test_execution_errors_read_like_go(render, text, data, message):
    with pytest.raises(TemplateError) as err:
        render(text, data)
    assert err.value.go_message == message


def test_errors_carry_line_and_column_of_the_failing_action(render):
    with pytest.raises(TemplateError) as err:
        render("a: 1\nb: 2\n  c: {{ fail \"x\" }}\n")
    assert (err.value.line, err.value.column) == (3, 8)


def test_recursive_template_calls_stop_with_a_clear_error():
    ts = TemplateSet(werf_functions({}))
    ts.parse("t", '{{ define "loop" }}{{ template "loop" . }}{{ end }}{{ template "loop" . }}')
    with pytest.raises(TemplateError) as err:
        ts.execute("t", None)
    assert "exceeded maximum template depth" in err.value.go_message


def test_recursive_include_stops_with_a_clear_error():
    ts = TemplateSet(werf_functions({}))
    ts.parse("t", '{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}')
    with pytest.raises(TemplateError) as err:
        ts.execute("t", None)
    assert "exceeded maximum template depth" in err.value.go_message


def test_deep_but_legal_recursion_still_works():
    ts = TemplateSet(werf_functions({}))
    ts.parse("t", '{{ define "count" }}{{ if gt . 0 }}{{ . }} {{ include "count" (sub . 1) }}{{ end }}{{ end }}'
                  '{{ include "count" 20 }}')
    assert ts.execute("t", None).split() == [str(i) for i in range(20, 0, -1)]


@pytest.mark.parametrize("text", [
    "{{ index 1 2 }}", "{{ slice (list 1 2) 5 }}", "{{ substr 5 1 \"abc\" }}", "{{ repeat -1 \"x\" }}",
    "{{ chunk 0 (list 1) }}", "{{ dig \"a\" (dict) }}", "{{ dig \"a\" \"b\" \"d\" (dict \"a\" 1) }}",
    "{{ urlJoin (dict \"host\" 1) }}", "{{ decryptAES \"k\" \"AAAA\" }}",
    "{{ mustFromJson \"{\" }}", "{{ call 1 }}", "{{ .x.y.z }}",
    "{{ index (dict) 1 }}", "{{ keys 1 }}", "{{ b64dec nil }}",
])
def test_bad_arguments_give_template_errors(render, text):
    with pytest.raises(TemplateError):
        render(text, {"x": {"y": 5}})


@pytest.mark.parametrize("text", ["{{ toDecimal nil }}", "{{ mul \"x\" nil }}", "{{ round nil 1 }}"])
def test_numeric_functions_read_unusable_values_as_zero_like_sprig(render, text):
    # Sprig converts with cast.To*/strconv and ignores the error: nil and non-numbers count as 0
    assert render(text) == "0"


def test_go_regexp_flags_are_accepted(render):
    # RE2, like Go's regexp, knows the ungreedy flag: no error, and the match is the shortest
    assert render('{{ mustRegexFind "(?U)a+" "aaa" }}') == "a"

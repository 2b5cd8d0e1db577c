"""Lexing and parsing: what Go's text/template accepts, how it normalises, and its parse error messages."""

from __future__ import annotations

import pytest

from werf_core.config.gotemplate import TemplateError, TemplateSet
from werf_core.config.gotemplate import lexer as lx
from werf_core.config.gotemplate.parser import ParseError, parse_templates


def _parse(text: str, funcs: tuple[str, ...] = ("printf", "len", "index", "eq")) -> dict:
    return parse_templates("t", text, lambda name: name in funcs)


def _tokens(text: str) -> list[tuple[int, str]]:
    return [(item.typ, item.val) for item in lx.lex(text)]


def test_text_and_actions_are_separate_tokens():
    assert _tokens("a {{ .x }} b") == [
        (lx.TEXT, "a "), (lx.LEFT_DELIM, "{{"), (lx.SPACE, " "), (lx.FIELD, ".x"), (lx.SPACE, " "),
        (lx.RIGHT_DELIM, "}}"), (lx.TEXT, " b"), (lx.EOF, ""),
    ]


def test_trim_markers_remove_surrounding_whitespace_including_newlines():
    assert _tokens("a \n\t{{- 1 -}} \n b") == [
        (lx.TEXT, "a"), (lx.LEFT_DELIM, "{{"), (lx.NUMBER, "1"), (lx.RIGHT_DELIM, "}}"), (lx.TEXT, "b"),
        (lx.EOF, ""),
    ]


def test_minus_without_space_is_a_negative_number_not_a_trim_marker():
    assert (lx.NUMBER, "-3") in _tokens("{{-3}}")


def test_keywords_bools_variables_and_declarations():
    kinds = [t for t, _ in _tokens("{{ range $i, $v := .l }}{{ if true }}{{ else }}{{ end }}{{ end }}")]
    assert lx.RANGE in kinds and lx.DECLARE in kinds and lx.IF in kinds and lx.BOOL in kinds and lx.ELSE in kinds
    assert (lx.VARIABLE, "$i") in _tokens("{{ $i }}")


def test_lexer_reports_go_errors():
    assert _tokens("{{ .x")[-1] == (lx.ERROR, "unclosed action")
    assert _tokens('{{ "abc }}')[-1] == (lx.ERROR, "unterminated quoted string")
    assert _tokens("{{ `abc }}")[-1] == (lx.ERROR, "unterminated raw quoted string")
    assert _tokens("{{/* x }}")[-1] == (lx.ERROR, "unclosed comment")
    assert _tokens("{{ 3x }}")[-1] == (lx.ERROR, 'bad number syntax: "3x"')
    assert (lx.CHAR, "@") in _tokens("{{ @ }}")
    assert _tokens("{{ ) }}")[-2:] == [(lx.RIGHT_PAREN, ")"), (lx.ERROR, "unexpected right paren")]
    assert _tokens("{{ ( }}")[-1] == (lx.ERROR, "unclosed left paren")


def test_comments_disappear_and_may_trim():
    trees = _parse("a {{/* note */}} b {{- /* trimmed */ -}} c")
    assert str(trees["t"].root) == "a  bc"


def test_else_if_is_sugar_for_nested_if():
    trees = _parse("{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}")
    assert str(trees["t"].root) == "{{if .a}}A{{else}}{{if .b}}B{{else}}C{{end}}{{end}}"


def test_else_with_is_sugar_for_nested_with():
    trees = _parse("{{ with .a }}A{{ else with .b }}B{{ end }}")
    assert str(trees["t"].root) == "{{with .a}}A{{else}}{{with .b}}B{{end}}{{end}}"


def test_define_and_block_create_named_templates():
    trees = _parse('{{ define "x" }}X{{ end }}{{ block "y" . }}Y{{ end }}')
    assert sorted(trees) == ["t", "x", "y"]
    assert str(trees["t"].root) == '{{template "y" .}}'


def test_pipelines_and_chains_print_like_go():
    trees = _parse('{{ $x := printf "%d" 1 | len }}{{ (index .m "k").f.g }}{{ $x.a.b }}')
    assert str(trees["t"].root) == '{{$x := printf "%d" 1 | len}}{{(index .m "k").f.g}}{{$x.a.b}}'


def test_number_literals_are_classified_like_go():
    trees = _parse("{{ 'a' }}{{ 0x1F }}{{ 1e3 }}{{ 1.5 }}{{ -7 }}{{ 0b101 }}{{ 0o17 }}{{ 1_000 }}{{ 1+2i }}")
    nums = [n.pipe.cmds[0].args[0] for n in trees["t"].root.nodes]
    assert [n.ideal for n in nums] == [97, 31, 1000.0, 1.5, -7, 5, 15, 1000, complex(1, 2)]
    assert type(nums[2].ideal) is float and type(nums[0].ideal) is int


@pytest.mark.parametrize("text, message", [
    ("{{ .a } }}", 'template: t:1: unexpected "}" in operand'),
    ("{{ nofunc }}", 'template: t:1: function "nofunc" not defined'),
    ("{{ $x }}", 'template: t:1: undefined variable "$x"'),
    ("{{ end }}", "template: t:1: unexpected {{end}}"),
    ("{{ else }}", "template: t:1: unexpected {{else}}"),
    ("{{ if }}{{ end }}", "template: t:1: missing value for if"),
    ("{{ if .a }}", "template: t:1: unexpected EOF"),
    ("{{ 3 | 4 }}", "template: t:1: non executable command in pipeline stage 2"),
    ("{{ break }}", "template: t:1: {{break}} outside {{range}}"),
    ("{{ range .x }}{{ continue 1 }}{{ end }}", 'template: t:1: unexpected "1" in {{continue}}'),
    ("{{ $a, $b := 1 }}", "template: t:1: too many declarations in command"),
    ('{{ "a".x }}', "template: t:1: unexpected . after term \"\\\"a\\\"\""),
    ('{{ define "a" }}1{{ end }}{{ define "a" }}2{{ end }}',
     'template: t:1: template: multiple definition of template "a"'),
    ("line1\n{{ .a\n", "template: t:3: unclosed action started at t:2"),
    ("{{ @ }}", 'template: t:1: unexpected "@" in command'),
    ("{{ ) }}", 'template: t:1: unexpected ")" in command'),
    ("{{ 99999999999999999999 }}", 'template: t:1: integer overflow: "99999999999999999999"'),
    ('{{ "\\q" }}', "template: t:1: invalid syntax"),
    ("{{ .a.\n}}", "template: t:1: unexpected <.> in operand"),
])
def test_parse_errors_read_like_go(text, message):
    with pytest.raises(ParseError) as err:
        _parse(text)
    assert err.value.message == message


def test_unclosed_action_on_a_later_line_names_where_the_action_started():
    with pytest.raises(ParseError) as err:
        _parse("a\n{{ if .x }}\nb\n{{ .y \n\n")
    assert err.value.message == "template: t:6: unclosed action started at t:4"


def test_parse_error_becomes_template_error_with_file_and_line():
    ts = TemplateSet()
    with pytest.raises(TemplateError) as err:
        ts.parse("werf.yaml", "project: x\nimage: {{ .a } }}\n", source_path="werf.yaml")
    e = err.value
    assert e.go_message == 'template: werf.yaml:2: unexpected "}" in operand'
    assert (e.path, e.line) == ("werf.yaml", 2)
    assert "image: {{ .a } }}" in e.render()


def test_deeply_nested_parentheses_are_refused_cleanly():
    text = "{{ " + "(" * 400 + "1" + ")" * 400 + " }}"
    with pytest.raises(ParseError) as err:
        _parse(text)
    assert "max expression depth exceeded" in err.value.message


def test_newlines_are_allowed_inside_actions():
    trees = _parse("{{ printf\n  \"%d\"\n  1 }}")
    assert str(trees["t"].root) == '{{printf "%d" 1}}'

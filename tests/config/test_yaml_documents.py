"""Splitting the rendered config into documents and reading each with line numbers (werf_core.config.yaml_documents)."""

from __future__ import annotations

import pytest

from werf_core.config.yaml_documents import (
    MAX_NODES,
    Span,
    YamlFloat,
    YamlInt,
    YamlLocationError,
    load_document,
    plain,
    scalar_text,
    split_documents,
)


def loaded(text: str):
    return [load_document(doc) for doc in split_documents(text)]


class TestSplitting:
    def test_documents_and_their_first_lines(self):
        docs = split_documents("a: 1\n---\nb: 2\nc: 3\n---\nd: 4\n")
        assert [d.text for d in docs] == ["a: 1", "b: 2\nc: 3", "d: 4\n"]
        assert [d.first_line for d in docs] == [1, 3, 6]

    @pytest.mark.parametrize("separator", ["---", "---   ", "--- # images", "---# x", "---\t", "---\r"])
    def test_separator_lines_may_carry_blanks_and_comments(self, separator):
        docs = split_documents(f"a: 1\n{separator}\nb: 2")
        assert [d.text for d in docs] == ["a: 1", "b: 2"]

    @pytest.mark.parametrize("line", ["----", "--- foo", " ---", "x: ---", "-- -"])
    def test_lines_that_only_look_like_separators_do_not_split(self, line):
        assert len(split_documents(f"a: 1\n{line}\nb: 2")) == 1

    def test_empty_and_comment_only_documents_are_dropped(self):
        docs = split_documents("---\n# just a comment\n\n---\na: 1\n---\n---\n")
        assert [d.text for d in docs] == ["a: 1"]
        assert docs[0].index == 0 and docs[0].first_line == 5

    def test_dashes_inside_a_block_scalar_value_stay_in_the_document(self):
        docs = loaded("shell:\n  install: |\n    echo ---\n    ---\n")
        assert docs[0].data == {"shell": {"install": "echo ---\n---\n"}}

    def test_content_line_skips_leading_comments(self):
        doc = split_documents("a: 1\n---\n# about the image\n\nimage: x\n")[1]
        assert doc.first_line == 3
        assert doc.content_line == 5


class TestSpans:
    def test_keys_and_list_items_know_their_rendered_lines(self):
        doc = loaded("x: 0\n---\nimage: app\ngit:\n- add: /\n  to: /app\n- to: /b\nshell:\n  install:\n  - a\n")[1]
        assert doc.span(("image",)) == Span(3, 3)
        assert doc.span(("git",)) == Span(4, 7)
        assert doc.span(("git", 0)) == Span(5, 6)
        assert doc.span(("git", 0, "to")) == Span(6, 6)
        assert doc.span(("git", 1)) == Span(7, 7)
        assert doc.span(("shell", "install", 0)) == Span(10, 10)

    def test_unknown_paths_fall_back_to_the_deepest_known_parent(self):
        doc = loaded("image: app\ngit:\n- to: /b\n")[0]
        assert doc.span(("git", 0, "nope", 3)) == Span(3, 3)
        assert doc.span(()).first == 1

    def test_multi_line_values_end_on_their_last_line(self):
        doc = loaded("a:\n  b: 1\n  c: 2\n\nd: 3\n")[0]
        assert doc.span(("a",)) == Span(1, 3)


class TestValues:
    def test_numbers_written_where_text_is_expected_keep_their_text(self):
        data = loaded("v: 1.10\nmode: 0755\nbig: 1e3\nplain: 12\nf: 1.5\n")[0].data
        assert isinstance(data["v"], YamlFloat) and scalar_text(data["v"]) == "1.10" and data["v"] == 1.1
        assert isinstance(data["mode"], YamlInt) and scalar_text(data["mode"]) == "0755" and data["mode"] == 493
        assert scalar_text(data["big"]) == "1e3"
        assert type(data["plain"]) is int and type(data["f"]) is float

    def test_plain_turns_number_subclasses_back_into_ordinary_numbers(self):
        data = plain(loaded("t: [{mode: 0755, v: 1.10}]\n")[0].data)
        assert type(data["t"][0]["mode"]) is int and type(data["t"][0]["v"]) is float

    def test_booleans_and_nulls_follow_yaml_1_1(self):
        data = loaded("a: yes\nb: off\nc: ~\nd: null\ne:\n")[0].data
        assert data == {"a": True, "b": False, "c": None, "d": None, "e": None}
        assert scalar_text(True) == "true"

    def test_dates_stay_text(self):
        assert loaded("released: 2020-01-02\n")[0].data == {"released": "2020-01-02"}

    def test_merge_keys_fill_in_missing_keys_only(self):
        doc = loaded("base: &b\n  x: 1\n  y: 2\nother:\n  <<: *b\n  y: 3\n")[0]
        assert doc.data["other"] == {"y": 3, "x": 1}
        assert doc.span(("other", "y")) == Span(6, 6)

    def test_aliases_are_expanded(self):
        assert loaded("a: &x [1, 2]\nb: *x\n")[0].data["b"] == [1, 2]


class TestMistakes:
    def test_duplicate_keys_are_refused_with_their_line(self):
        with pytest.raises(YamlLocationError) as info:
            loaded("a: 1\n---\nimage: x\nfrom: a\nfrom: b\n")
        assert info.value.line == 5
        assert 'duplicate key "from"' in info.value.message

    def test_syntax_errors_carry_the_rendered_line(self):
        with pytest.raises(YamlLocationError) as info:
            loaded("a: 1\n---\nimage: x\nfrom: a\n  bad: indent\n")
        assert info.value.line == 5
        assert info.value.message.startswith("YAML syntax error")

    def test_tabs_get_a_hint(self):
        with pytest.raises(YamlLocationError) as info:
            loaded("image: x\nshell:\n\tinstall: a\n")
        assert "tabs" in info.value.hint

    def test_a_second_document_inside_one_chunk_is_an_error(self):
        with pytest.raises(YamlLocationError):
            loaded("a: 1\n--- b: 2\n")

    def test_alias_bombs_stop_early(self):
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in range(1, 9):
            lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
        with pytest.raises(YamlLocationError) as info:
            loaded("\n".join(lines))
        assert str(MAX_NODES) in info.value.message

    def test_recursive_alias_is_refused(self):
        with pytest.raises(YamlLocationError) as info:
            loaded("a: &a\n  b: *a\n")
        assert "refers to the mapping or list that contains it" in info.value.message

    def test_complex_keys_are_refused(self):
        with pytest.raises(YamlLocationError) as info:
            loaded("? [a, b]\n: 1\n")
        assert "keys" in info.value.message

    def test_binary_values_are_refused(self):
        with pytest.raises(YamlLocationError):
            loaded("a: !!binary aGVsbG8=\n")

    def test_merge_key_must_refer_to_a_mapping(self):
        with pytest.raises(YamlLocationError) as info:
            loaded("a: &x 1\nb:\n  <<: *x\n")
        assert "merge key" in info.value.message and info.value.line == 3

    def test_unknown_tags_are_refused(self):
        with pytest.raises(YamlLocationError) as info:
            loaded("a: 1\nb: !secret value\n")
        assert "invalid YAML value" in info.value.message and info.value.line == 2

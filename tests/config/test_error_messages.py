"""What the user reads when werf.yaml is wrong: file:line, the key, a suggestion, the quoted lines, no traceback."""

from __future__ import annotations

import pytest

from tests.config.support import META, error
from werf_core.config import parse_werf_config
from werf_core.errors import ConfigError


def test_unknown_key_names_file_line_section_and_closest_key():
    err = error("image: app\nfrom: alpine\nfromImge: base\n")
    assert str(err).splitlines()[0] == 'werf.yaml:6: unknown key "fromImge" in image "app"; did you mean "fromImage"?'
    assert err.path == "werf.yaml" and err.line == 6
    assert "6 | fromImge: base" in err.snippet
    assert "fromImage" in err.hint and "shell" in err.hint


@pytest.mark.parametrize("key, suggestion", [
    ("Shell", "shell"), ("imports", "import"), ("ansibel", "ansible"), ("fromCacheVersio", "fromCacheVersion"),
    ("mounts", "mount"), ("dependency", "dependencies"),
])
def test_suggestions(key, suggestion):
    assert f'did you mean "{suggestion}"?' in error(f"image: app\nfrom: alpine\n{key}: x\n").message


def test_no_suggestion_for_far_off_keys():
    err = error("image: app\nfrom: alpine\nzzzzzz: 1\n")
    assert "did you mean" not in err.message and 'unknown key "zzzzzz"' in err.message


def test_unknown_key_deep_inside_names_the_path():
    err = error("image: app\nfrom: alpine\nimport:\n- artifact: a\n  add: /x\n  after: install\n  inclde: [a]\n"
                "---\nartifact: a\nfrom: alpine\n")
    assert 'unknown key "inclde" in import[0] of image "app"; did you mean "includePaths"?' in err.message
    assert err.line == 10


def test_artifact_sections_are_named_as_artifacts():
    err = error("artifact: builder\nfrom: alpine\nshel: {install: make}\n")
    assert 'unknown key "shel" in artifact "builder"; did you mean "shell"?' in err.message


def test_nameless_image_label():
    assert "in nameless image" in error("image: ~\nfrom: alpine\nfoo: 1\n").message


def test_list_of_images_label():
    assert 'in images "a", "b"' in error("image: [a, b]\nfrom: alpine\nfoo: 1\n").message


@pytest.mark.parametrize("body, expected", [
    ("from: [alpine]", 'from of image "app": expected a string, got a list'),
    ("from: alpine\nshell: make", 'shell of image "app": expected a mapping, got "make"'),
    ("from: alpine\ngit: {to: /app}", 'git of image "app": expected a list, got a mapping'),
    ("from: alpine\ngit: [/app]", 'git[0] of image "app": expected a mapping, got "/app"'),
    ("from: alpine\nasLayers: 1", 'asLayers of image "app": expected true or false, got number 1'),
    ("from: alpine\nimport: ~\nmount: 3", 'expected a list, got nothing (null)'),
])
def test_wrong_types_say_what_was_expected_and_found(body, expected):
    assert expected in error(f"image: app\n{body}\n").message


def test_numbers_where_strings_are_expected_keep_their_written_text():
    err = error("image: app\nfrom: alpine\nfromCacheVersion: 1.10\nfoo: 1\n")   # fromCacheVersion itself is fine
    assert 'unknown key "foo"' in err.message


def test_missing_key_points_at_the_mapping_that_lacks_it():
    err = error("image: app\nfrom: alpine\nmount:\n- from: tmp_dir\n")
    assert err.line == 7 and 'missing required key "to" in mount[0] of image "app"' in err.message


def test_the_first_problem_in_file_order_is_reported_with_a_count_of_the_others():
    err = error("image: app\nfrom: alpine\nfoo: 1\ngit:\n- to: rel\nbar: 2\n")
    assert err.line == 6 and 'unknown key "foo"' in err.message
    assert "(and 2 more problems in this section)" in err.message


def test_document_that_is_not_a_mapping():
    err = error("- image: app\n  from: alpine\n")
    assert err.line == 4 and "must be a mapping of keys to values, got a list" in err.message


def test_cannot_recognize_section():
    err = error("name: app\nfrom: alpine\n")
    assert "cannot recognize type of config section" in err.message and err.line == 4
    assert "configVersion: 1" in err.hint


def test_yaml_syntax_errors_point_at_the_line():
    err = error("image: app\nfrom: alpine\nshell:\n  install: [make\n")
    assert "YAML syntax error" in err.message and err.line >= 7


def test_duplicate_keys_point_at_the_second_one():
    err = error("image: app\nfrom: alpine\nfrom: debian\n")
    assert err.line == 6 and 'duplicate key "from"' in err.message


def test_error_renders_as_one_message_with_hint():
    err = error("image: app\nfrom: alpine\nfromImge: base\n")
    rendered = err.render()
    assert rendered.startswith("Error: werf.yaml:6: unknown key")
    assert "\nHint: valid keys here:" in rendered
    assert "Traceback" not in rendered


class TestTemplatedSources:
    """The source is a template; errors are located in it even where the rendering shifted lines."""

    SOURCE = META + ('{{ $images := list "api" "worker" }}\n'
                     '{{- range $images }}\n'
                     '---\n'
                     'image: {{ . }}\n'
                     'from: alpine\n'
                     '{{- end }}\n'
                     '---\n'
                     'image: web\n'
                     'from: alpine\n'
                     'fromImge: base\n')
    RENDERED = META + "\n---\nimage: api\nfrom: alpine\n---\nimage: worker\nfrom: alpine\n---\nimage: web\n" \
                      "from: alpine\nfromImge: base\n"

    def test_line_after_template_actions_is_found_in_the_source(self):
        with pytest.raises(ConfigError) as info:
            parse_werf_config(self.RENDERED, source_text=self.SOURCE)
        assert info.value.line == 13          # line 15 of the rendered text
        assert "13 | fromImge: base" in info.value.snippet

    def test_line_produced_by_a_template_quotes_source_and_rendering(self):
        rendered = self.RENDERED.replace("image: worker\nfrom: alpine", "image: worker\nfrom: alpine\nbad: 1")
        with pytest.raises(ConfigError) as info:
            parse_werf_config(rendered, source_text=self.SOURCE)
        err = info.value
        assert 'unknown key "bad" in image "worker"' in err.message
        assert 4 <= err.line <= 9                 # inside the range block
        assert "rendered by the template as:" in err.snippet and "bad: 1" in err.snippet

    def test_without_source_text_rendered_lines_are_reported(self):
        with pytest.raises(ConfigError) as info:
            parse_werf_config(self.RENDERED)
        assert info.value.line == 14

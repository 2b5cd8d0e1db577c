"""Aligning template lines with rendered lines (werf_core.config.line_alignment)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.config import load_werf_config
from werf_core.config.line_alignment import align_lines
from werf_core.errors import ConfigError


def mapping(source: list[str], rendered: list[str]) -> dict[int, int]:
    """rendered index → source index for every aligned line."""
    return {b + k: a + k for a, b, size in align_lines(source, rendered) for k in range(size)}


def test_identical_texts_are_one_block():
    lines = ["a", "b", "a", "c"]
    assert align_lines(lines, lines) == [(0, 0, 4)]


def test_repeated_lines_inside_changed_regions():
    source = ["---", "image: a", "{{ range }}", "  to: /app", "{{ end }}", "---", "image: b", "  to: /app"]
    rendered = ["---", "image: a", "  to: /app", "  to: /app", "---", "image: b", "  to: /app"]
    aligned = mapping(source, rendered)
    assert (aligned[1], aligned[4], aligned[5]) == (1, 5, 6)
    assert aligned[6] == 7                     # the last "to" belongs to image b, not to the range
    assert 3 in (aligned.get(2), aligned.get(3))


def test_lines_unique_on_both_sides_anchor_the_alignment():
    source = [f"line {i}" for i in range(100)]
    rendered = ["generated"] * 30 + source[50:] + ["more"]
    aligned = mapping(source, rendered)
    assert all(aligned[30 + k] == 50 + k for k in range(50))


@st.composite
def template_and_render(draw):
    words = st.sampled_from(["---", "image: a", "from: x", "  to: /app", "shell:", "  - make", "", "git:"])
    source = draw(st.lists(words, min_size=1, max_size=60))
    rendered = []
    for line in source:
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "change", "repeat"]))
        if action == "keep":
            rendered.append(line)
        elif action == "change":
            rendered.append(line + " changed")
        elif action == "repeat":
            rendered.extend([line] * draw(st.integers(2, 4)))
    return source, rendered


@settings(max_examples=300, deadline=None)
@given(template_and_render())
def test_alignment_is_monotonic_and_only_pairs_equal_lines(texts):
    source, rendered = texts
    previous_a = previous_b = -1
    for a, b, size in align_lines(source, rendered):
        assert a > previous_a and b > previous_b and size >= 1
        assert source[a:a + size] == rendered[b:b + size]
        previous_a, previous_b = a + size - 1, b + size - 1


def _bench_module():
    path = Path(__file__).resolve().parents[2] / "bench" / "config_render.py"
    spec = importlib.util.spec_from_file_location("config_render_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_errors_in_the_large_templated_config_name_the_written_line(tmp_path):
    config_path = _bench_module().generate_project(tmp_path, images=20)
    lines = config_path.read_text().split("\n")
    target = next(i for i, line in enumerate(lines) if line == "image: svc-13")
    lines.insert(target + 1, "fromImge: svc-01")
    config_path.write_text("\n".join(lines))
    try:
        load_werf_config(tmp_path)
    except ConfigError as err:
        assert err.line == target + 2
        assert f"{target + 2} | fromImge: svc-01" in err.snippet
        assert 'unknown key "fromImge" in image "svc-13"' in err.message
    else:
        raise AssertionError("the config should not load")


def test_every_section_of_the_large_config_knows_its_source_line(tmp_path):
    config_path = _bench_module().generate_project(tmp_path, images=20)
    lines = config_path.read_text().split("\n")
    config = load_werf_config(tmp_path)
    for model in config.images:
        assert lines[model.source.line - 1] == f"image: {model.name}"

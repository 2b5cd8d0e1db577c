"""Overlapping git mappings and imports of one image: automatic excludes or a conflict (werf's exportsAutoExcluding)."""

from __future__ import annotations

import pytest

from tests.config.support import error, load
from werf_core.config.exports import Export, ExportConflict, is_sub_path, resolve_overlaps

ARTIFACT = "artifact: v\nfrom: x\n---\n"


def export(to, includes=(), excludes=(), path=("git", 0)):
    return Export(to, list(includes), list(excludes), path)


def test_is_sub_path():
    assert is_sub_path("/app", "/app/vendor") and is_sub_path("/app", "/app") and is_sub_path("/", "/x")
    assert not is_sub_path("/app", "/application") and not is_sub_path("/app/vendor", "/app")


def test_inner_target_is_excluded_from_the_outer_export():
    outer, inner = export("/app"), export("/app/vendor", path=("import", 0))
    resolve_overlaps([outer, inner])
    assert outer.exclude_paths == ["vendor"] and inner.exclude_paths == []


def test_outer_export_at_root():
    outer, inner = export("/"), export("/usr/local/bin", path=("import", 0))
    resolve_overlaps([outer, inner])
    assert outer.exclude_paths == ["usr/local/bin"]


def test_inner_include_paths_are_excluded_one_by_one():
    outer, inner = export("/app"), export("/app", includes=["vendor", "node_modules"], path=("import", 0))
    resolve_overlaps([outer, inner])
    assert outer.exclude_paths == ["vendor", "node_modules"]


def test_already_excluded_paths_are_not_added_twice():
    outer, inner = export("/app", excludes=["vendor"]), export("/app/vendor/lib", path=("import", 0))
    resolve_overlaps([outer, inner])
    assert outer.exclude_paths == ["vendor"]


def test_disjoint_targets_are_left_alone():
    a, b = export("/app"), export("/srv", path=("import", 0))
    resolve_overlaps([a, b])
    assert a.exclude_paths == [] and b.exclude_paths == []


@pytest.mark.parametrize("first, second", [
    (export("/app"), export("/app", path=("import", 0))),
    (export("/"), export("/", path=("import", 0))),
    (export("/app", includes=["src"]), export("/app", includes=["src"], path=("import", 0))),
])
def test_exports_that_cannot_be_separated(first, second):
    with pytest.raises(ExportConflict):
        resolve_overlaps([first, second])


def test_loaded_git_mapping_carries_the_automatic_exclude():
    config = load(ARTIFACT + "image: app\nfrom: alpine\ngit:\n- to: /app\n  excludePaths: docs\nimport:\n"
                             "- {artifact: v, add: /vendor, to: /app/vendor, after: install}\n")
    app = config.get("app")
    assert app.git[0].exclude_paths == ("docs", "vendor")
    assert app.imports[0].exclude_paths == ()


def test_conflicting_imports_are_refused_at_the_second_one():
    err = error(ARTIFACT + "image: app\nfrom: alpine\nimport:\n- {artifact: v, add: /a, to: /app, after: install}\n"
                           "- {artifact: v, add: /b, to: /app, after: setup}\n")
    assert 'conflict between exports of image "app": import[0] (to "/app") and import[1] (to "/app")' in err.message
    assert err.line == 11 and "includePaths" in err.hint


def test_git_mapping_and_import_into_the_same_directory_with_includes():
    config = load(ARTIFACT + "image: app\nfrom: alpine\ngit:\n- to: /app\n  includePaths: [src]\nimport:\n"
                             "- {artifact: v, add: /b, to: /app, includePaths: [bin], after: setup}\n")
    assert config.get("app").git[0].exclude_paths == ("bin",)

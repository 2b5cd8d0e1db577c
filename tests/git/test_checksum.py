"""stageDependencies checksums: install/beforeSetup/setup rebuild exactly when the files they depend on change."""

import hashlib

import pytest

from werf_core.git.checksum import stage_dependencies_checksum, stage_dependencies_digest_input
from werf_core.git.mapping import GitMapping
from werf_core.git.repository import open_local_repository
from werf_core.hashing import sha256_hash


@pytest.fixture
def project(git_repo):
    git_repo.write("package.json", '{"name": "app"}\n')
    git_repo.write("src/app.py", "print('app')\n")
    git_repo.write("src/lib/util.py", "def util(): pass\n")
    git_repo.write("src/lib/data.json", "{}\n")
    git_repo.write("docs/index.md", "# docs\n")
    git_repo.commit("initial")
    return git_repo


def checksum(git_repo, mapping, stage="install", commit=None):
    repo = open_local_repository(git_repo.path)
    return stage_dependencies_checksum(repo, mapping, stage, commit or repo.head_commit())


def deps(globs, **kwargs):
    return GitMapping(to="/app", stage_dependencies={"install": globs}, **kwargs)


def test_no_globs_for_the_stage_gives_an_empty_string(project):
    result = checksum(project, deps(["package.json"]), stage="setup")
    assert result.checksum == "" and result.warnings == ()


def test_changes_when_a_dependency_changes_and_only_then(project):
    mapping = deps(["package.json", "src/**/*.py"])
    before = checksum(project, mapping).checksum
    project.write("docs/index.md", "# other docs\n")
    project.write("src/lib/data.json", '{"changed": true}\n')
    project.commit("unrelated")
    assert checksum(project, mapping).checksum == before
    project.write("src/lib/util.py", "def util(): return 1\n")
    project.commit("related")
    assert checksum(project, mapping).checksum != before


def test_uncommitted_edits_are_invisible(project):
    mapping = deps(["package.json"])
    before = checksum(project, mapping).checksum
    project.write("package.json", '{"name": "edited"}\n')
    assert checksum(project, mapping).checksum == before


def test_adding_a_matching_file_changes_the_checksum(project):
    mapping = deps(["src/**/*.py"])
    before = checksum(project, mapping).checksum
    project.write("src/new.py", "x = 1\n")
    project.commit("new")
    assert checksum(project, mapping).checksum != before


def test_chmod_and_rename_change_the_checksum(project):
    mapping = deps(["src"])
    before = checksum(project, mapping).checksum
    (project.path / "src/app.py").chmod(0o755)
    project.commit("chmod")
    after_chmod = checksum(project, mapping).checksum
    assert after_chmod != before
    project.git("mv", "src/app.py", "src/main.py")
    project.commit("rename")
    assert checksum(project, mapping).checksum != after_chmod


def test_glob_matching_nothing_adds_nothing_and_warns(project):
    with_missing = checksum(project, deps(["package.json", "Gemfile.lock"]))
    without = checksum(project, deps(["package.json"]))
    assert with_missing.checksum == without.checksum
    assert len(with_missing.warnings) == 1
    assert "Gemfile.lock" in with_missing.warnings[0] and "own_own" in with_missing.warnings[0]
    assert with_missing.matched_globs == ("package.json",)


def test_nothing_matching_at_all_is_not_the_empty_string(project):
    result = checksum(project, deps(["nothing-here"]))
    assert result.checksum == hashlib.sha256().hexdigest()
    assert len(result.warnings) == 1


def test_glob_order_matters(project):
    assert checksum(project, deps(["package.json", "src"])).checksum != \
        checksum(project, deps(["src", "package.json"])).checksum


def test_globs_are_relative_to_add(project):
    in_src = GitMapping(to="/app", add="/src", stage_dependencies={"install": ["lib"]})
    at_root = deps(["src/lib"])
    result = checksum(project, in_src)
    assert result.warnings == ()
    assert result.checksum == checksum(project, at_root).checksum   # the same files, seen from add
    assert checksum(project, GitMapping(to="/app", add="/src",
                                        stage_dependencies={"install": ["src/lib"]})).warnings  # not found


def test_mapping_filter_applies_to_dependencies(project):
    excluded = deps(["src"], exclude_paths=["src/lib"])
    before = checksum(project, excluded).checksum
    project.write("src/lib/util.py", "changed = True\n")
    project.commit("change excluded file")
    assert checksum(project, excluded).checksum == before
    project.write("src/app.py", "changed = True\n")
    project.commit("change included file")
    assert checksum(project, excluded).checksum != before


def test_whole_directory_uses_the_tree_object_id(project):
    repo = open_local_repository(project.path)
    head = repo.head_commit()
    tree = project.git("rev-parse", f"{head}:src")
    per_glob = hashlib.sha256(tree.encode()).hexdigest()
    expected = hashlib.sha256(per_glob.encode()).hexdigest()
    assert checksum(project, deps(["src"])).checksum == expected


def test_single_files_use_blob_ids_in_path_order(project):
    head = project.head()
    blobs = [project.git("rev-parse", f"{head}:{p}") for p in ("src/app.py", "src/lib/util.py")]
    per_glob = hashlib.sha256("".join(blobs).encode()).hexdigest()
    assert checksum(project, deps(["**/*.py"])).checksum == hashlib.sha256(per_glob.encode()).hexdigest()


def test_checksum_at_an_older_commit(project):
    mapping = deps(["package.json"])
    old = project.head()
    before = checksum(project, mapping).checksum
    project.write("package.json", "{}\n")
    project.commit("change")
    assert checksum(project, mapping, commit=old).checksum == before


def test_digest_input_combines_mappings_in_order():
    assert stage_dependencies_digest_input(["a", ""]) == sha256_hash("a", "")
    assert stage_dependencies_digest_input(["a", ""]) != stage_dependencies_digest_input(["", "a"])

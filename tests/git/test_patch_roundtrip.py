"""Property: archive(A) + patch(A→B) == archive(B), for random histories and random mapping filters.

Histories mix content edits, chmod, deletes, renames, file↔symlink and file↔directory swaps, binary files and
directories that empty out or appear. The patch is applied twice — by the Python reference and by the busybox shell
recipe the build containers use — and both results must equal B's archive, entry by entry (paths, types, modes,
contents, link targets, owners).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from tests.git.snapshot import snapshot
from tests.support.gitrepo import GitRepo
from werf_core.git.archive import create_archive
from werf_core.git.mapping import GitMapping
from werf_core.git.patch import create_patch
from werf_core.git.repository import open_local_repository

NAMES = ["a", "b", "c.txt", "d.bin"]
path_strategy = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map("/".join)

# a node: ("file", content, executable) or ("symlink", target)
text_content = st.sampled_from([b"", b"one\n", b"two\n", b"one\ntwo\n", b"no newline at end", b"x" * 300 + b"\n"])
binary_content = st.binary(min_size=1, max_size=64).map(lambda b: b"\0" + b)   # NUL byte: git sees binary
file_node = st.tuples(st.just("file"), st.one_of(text_content, binary_content), st.booleans())
link_node = st.tuples(st.just("symlink"), st.sampled_from(["a", "../b", "c.txt", "nowhere", "a/b/c"]))
node_strategy = st.one_of(file_node, file_node, link_node)


def consistent(state: dict) -> dict:
    """Keep a state git can hold: no path is both a file and a directory (earlier-sorted paths win)."""
    result: dict = {}
    for path in sorted(state):
        if any(path.startswith(kept + "/") or kept.startswith(path + "/") for kept in result):
            continue
        result[path] = state[path]
    return result


def directories_of(state: dict) -> list[str]:
    dirs = set()
    for path in state:
        parent = posixpath.dirname(path)
        while parent:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    return sorted(dirs)


operation = st.one_of(
    st.tuples(st.just("modify"), st.integers(0, 50), st.one_of(text_content, binary_content)),
    st.tuples(st.just("chmod"), st.integers(0, 50)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("rename"), st.integers(0, 50), path_strategy),
    st.tuples(st.just("retype"), st.integers(0, 50)),
    st.tuples(st.just("add"), path_strategy, node_strategy),
    st.tuples(st.just("file_to_dir"), st.integers(0, 50), st.sampled_from(NAMES), node_strategy),
    st.tuples(st.just("dir_to_file"), st.integers(0, 50), node_strategy),
)


def apply_operation(state: dict, op) -> dict:
    state = dict(state)
    paths = sorted(state)
    kind = op[0]
    if kind == "add":
        state[op[1]] = op[2]
        return consistent(state)
    if kind == "dir_to_file":
        dirs = directories_of(state)
        if dirs:
            directory = dirs[op[1] % len(dirs)]
            state = {p: n for p, n in state.items() if not p.startswith(directory + "/")}
            state[directory] = op[2]
        return consistent(state)
    if not paths:
        return state
    path = paths[op[1] % len(paths)]
    node = state[path]
    if kind == "modify":
        state[path] = ("file", op[2], node[2] if node[0] == "file" else False)
    elif kind == "chmod" and node[0] == "file":
        state[path] = ("file", node[1], not node[2])
    elif kind == "delete":
        del state[path]
    elif kind == "rename":
        del state[path]
        state[op[2]] = node
    elif kind == "retype":
        state[path] = ("symlink", "a") if node[0] == "file" else ("file", b"was a link\n", False)
    elif kind == "file_to_dir":
        del state[path]
        state[f"{path}/{op[2]}"] = op[3]
    return consistent(state)


@st.composite
def histories(draw):
    a = consistent(dict(draw(st.lists(st.tuples(path_strategy, node_strategy), max_size=10))))
    b = a
    for op in draw(st.lists(operation, min_size=1, max_size=8)):
        b = apply_operation(b, op)
    return a, b


@st.composite
def mappings(draw):
    patterns = ["a", "b/*", "**/*.txt", "*.bin", "c.txt", "a/**", "**/b", "{a,b}/c.txt"]
    return GitMapping(
        to="/app",
        add=draw(st.sampled_from(["/", "/a", "/b", "/a/b", "/a/c.txt"])),
        include_paths=draw(st.lists(st.sampled_from(patterns), max_size=2, unique=True)),
        exclude_paths=draw(st.lists(st.sampled_from(patterns), max_size=2, unique=True)),
    )


def commit_state(repo: GitRepo, state: dict) -> str:
    for child in repo.path.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    for path, node in state.items():
        target = repo.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if node[0] == "symlink":
            os.symlink(node[1], target)
        else:
            target.write_bytes(node[1])
            target.chmod(0o755 if node[2] else 0o644)
    return repo.commit("state")


def check_round_trip(repo: GitRepo, work: Path, mapping: GitMapping, a_state: dict, b_state: dict,
                     uid: int, gid: int) -> None:
    a = commit_state(repo, a_state)
    b = commit_state(repo, b_state)
    repository = open_local_repository(repo.path)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    archive_a = create_archive(repository, mapping, a, uid=uid, gid=gid)
    archive_b = create_archive(repository, mapping, b, uid=uid, gid=gid)
    # `add` switching between a file and a directory moves the extraction target itself; no patch can express that
    assume(archive_a.type == archive_b.type)
    patch = create_patch(repository, mapping, a, b, uid=uid, gid=gid, archive_type=archive_a.type)
    for label, present in [("empty patch", patch.is_empty), ("deletes", patch.deleted_paths),
                           ("changes", patch.changed_paths), ("adds", patch.added_paths),
                           ("emptied directories", patch.emptied_directories),
                           ("new directories", patch.new_directories), ("single-file add", archive_a.type == "file")]:
        if present:
            event(label)

    expected = work / "expected"
    archive_b.extract_to(expected)
    expected_tree = snapshot(expected)

    by_python = work / "python"
    archive_a.extract_to(by_python)
    patch.apply_to_directory(by_python)
    assert snapshot(by_python) == expected_tree

    by_shell = work / "shell"
    archive_a.extract_to(by_shell)
    files = work / "files"
    files.mkdir()
    patch.write_file(files / "patch.tar")
    patch.write_path_list(patch.removal_paths, files / "removals")
    patch.write_path_list(patch.emptied_directories, files / "dirs")
    script = patch.shell_apply_script(str(by_shell), tar_path=str(files / "patch.tar"),
                                      removals_path=str(files / "removals"), directories_path=str(files / "dirs"),
                                      command_prefix="busybox ")
    subprocess.run(["busybox", "sh", "-e", "-c", script], check=True, env={"PATH": "/bin:/usr/bin"})
    assert snapshot(by_shell) == expected_tree

    assert patch.is_empty == (snapshot(work / "python") == snapshot_of_archive(archive_a, work / "a-only"))
    # the digest inputs see exactly the same changes as the tar
    assert (patch.size() == 0) == patch.is_empty == (patch.text_digest() == "")


def snapshot_of_archive(archive, directory: Path) -> dict:
    archive.extract_to(directory)
    return snapshot(directory)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    base = tmp_path_factory.mktemp("roundtrip")
    return GitRepo.init(base / "repo"), base / "work"


# more with WERF_TEST_ROUNDTRIP_EXAMPLES=400 when changing archives or patches
EXAMPLES = int(os.environ.get("WERF_TEST_ROUNDTRIP_EXAMPLES", "60"))
owners = st.sampled_from([(0, 0), (1000, 1000), (4321, 1234)])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), owner=owners)
def test_patch_round_trip_whole_repository(scratch, history, owner):
    repo, work = scratch
    check_round_trip(repo, work, GitMapping(to="/app"), *history, *owner)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), mapping=mappings(), owner=owners)
def test_patch_round_trip_with_add_include_exclude(scratch, history, mapping, owner):
    repo, work = scratch
    check_round_trip(repo, work, mapping, *history, *owner)

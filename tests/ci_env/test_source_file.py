"""`--as-file` files: private, uniquely named, at most 100 kept."""

from __future__ import annotations

import os
import stat
import time

from werf_core.ci_env.source_file import prune_source_files, source_files_dir, write_source_file


def test_file_is_private_and_under_werf_home(werf_home):
    path = write_source_file("export A='1'\n", werf_home=werf_home)
    assert path.parent == source_files_dir(werf_home) == werf_home / "service" / "tmp" / "ci_env"
    assert path.name.startswith("source_")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "export A='1'\n"


def test_names_are_unique_and_carry_the_shell_suffix(werf_home):
    paths = {write_source_file("x\n", werf_home=werf_home, suffix=".ps1") for _ in range(20)}
    assert len(paths) == 20
    assert all(p.suffix == ".ps1" for p in paths)
    assert write_source_file("K=V\n", werf_home=werf_home, env_file=True).name.startswith(".env_")


def test_output_path_is_written_private_even_if_it_existed(werf_home, tmp_path):
    target = tmp_path / "ci.env.sh"
    target.write_text("old content that is longer than the new one\n")
    os.chmod(target, 0o644)
    assert write_source_file("new\n", werf_home=werf_home, output_path=target) == target
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not source_files_dir(werf_home).exists()


def test_directory_never_holds_more_than_100_files_and_the_newest_survive(werf_home):
    directory = source_files_dir(werf_home)
    directory.mkdir(parents=True)
    now = time.time()
    for i in range(100):
        f = directory / f"source_old_{i:03d}"
        f.write_text("x")
        os.utime(f, (now - 1000 + i, now - 1000 + i))
    newest = write_source_file("fresh\n", werf_home=werf_home)
    left = sorted(p.name for p in directory.iterdir())
    assert len(left) == 50
    assert newest.name in left
    assert f"source_old_{99:03d}" in left and f"source_old_{50:03d}" not in left


def test_prune_leaves_a_directory_below_the_limit_alone(tmp_path):
    for i in range(99):
        (tmp_path / f"f{i}").write_text("x")
    prune_source_files(tmp_path)
    assert len(list(tmp_path.iterdir())) == 99

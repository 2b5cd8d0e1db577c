"""Remote repositories (`git: - url:`): the host cache of bare clones, refs, and failures a user can act on."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

from tests.support.net import free_port
from werf_core.errors import GitError
from werf_core.git.mapping import GitMapping
from werf_core.git.remote import open_mapping_repository, open_remote_repository, remote_cache_directory
from werf_core.git.repository import open_local_repository


@pytest.fixture
def upstream(make_git_repo):
    repo = make_git_repo("upstream")
    repo.write("lib/tool.py", "VERSION = 1\n")
    first = repo.commit("v1")
    repo.tag("v1.0", message="release 1.0")
    repo.write("lib/tool.py", "VERSION = 2\n")
    repo.commit("v2")
    repo.branch("develop")
    repo.write("lib/tool.py", "VERSION = 3\n")
    repo.commit("v3 on develop")
    repo.checkout("main")
    return repo, first


def test_clone_goes_into_the_werf_home_cache(upstream, werf_home):
    repo, _ = upstream
    remote = open_remote_repository(str(repo.path))
    assert remote.directory.parent == werf_home / "local_cache" / "git_repos"
    assert remote.directory == remote_cache_directory(str(repo.path))
    assert "upstream" in remote.directory.name
    assert (remote.directory / "HEAD").exists() and not (remote.directory / ".git").exists()  # bare
    assert remote.name.endswith("/upstream")


def test_default_branch_tag_branch_and_commit(upstream, werf_home):
    repo, first = upstream
    remote = open_remote_repository(f"file://{repo.path}")
    assert remote.resolve() == repo.git("rev-parse", "main")
    assert remote.resolve(tag="v1.0") == first                  # annotated tag peeled to its commit
    assert remote.resolve(branch="develop") == repo.git("rev-parse", "develop")
    assert remote.resolve(commit=first[:10]) == first
    mapping = GitMapping(to="/tool", url=f"file://{repo.path}", branch="develop")
    assert remote.mapping_commit(mapping) == repo.git("rev-parse", "develop")


def test_branch_resolves_to_the_latest_commit_after_a_push(upstream, werf_home):
    repo, _ = upstream
    remote = open_remote_repository(str(repo.path))
    before = remote.resolve(branch="main")
    repo.write("lib/tool.py", "VERSION = 4\n")
    after = repo.commit("v4")
    assert remote.resolve(branch="main") == before             # fetched moments ago: no refetch within a build
    remote.refresh(max_age=0)
    assert remote.resolve(branch="main") == after


def test_commit_missing_from_the_cache_is_fetched(upstream, werf_home):
    repo, _ = upstream
    remote = open_remote_repository(str(repo.path))
    repo.write("lib/tool.py", "VERSION = 5\n")
    new = repo.commit("v5")
    assert remote.resolve(commit=new) == new


def test_unknown_branch_tag_and_commit(upstream, werf_home):
    repo, _ = upstream
    remote = open_remote_repository(str(repo.path))
    with pytest.raises(GitError) as err:
        remote.resolve(branch="nope")
    assert "'nope'" in err.value.message and str(repo.path) in err.value.message and "ls-remote" in err.value.hint
    with pytest.raises(GitError, match="tag 'v9'"):
        remote.resolve(tag="v9")
    with pytest.raises(GitError, match="commit 0000000"):
        remote.resolve(commit="0" * 40)


def test_unreachable_remote(werf_home):
    url = f"http://127.0.0.1:{free_port()}/team/app.git"
    with pytest.raises(GitError) as err:
        open_remote_repository(url)
    assert url in err.value.message and "credential" in err.value.hint
    assert not list((werf_home / "local_cache" / "git_repos").glob("*.tmp-*"))   # nothing half-cloned left


def test_missing_local_remote(werf_home, tmp_path):
    with pytest.raises(GitError, match="cannot clone"):
        open_remote_repository(str(tmp_path / "missing"))


def test_remote_gone_after_cloning(upstream, werf_home):
    repo, _ = upstream
    remote = open_remote_repository(f"file://{repo.path}")
    subprocess.run(["rm", "-rf", str(repo.path)], check=True)
    with pytest.raises(GitError) as err:
        remote.fetch()
    assert "cannot fetch" in err.value.message and f"file://{repo.path}" in err.value.message


def test_archive_and_checksum_from_a_remote(upstream, werf_home):
    repo, first = upstream
    mapping = GitMapping(to="/tool", add="/lib", url=str(repo.path), tag="v1.0",
                         stage_dependencies={"install": ["*.py"]})
    remote = open_mapping_repository(mapping, None)
    commit = remote.mapping_commit(mapping)
    assert commit == first
    archive = remote.archive(mapping, commit)
    assert [m.name for m in archive.members] == ["tool.py"]
    assert remote.stage_dependencies_checksum(mapping, "install", commit).checksum


def test_local_mappings_use_the_project_repository(upstream):
    repo, _ = upstream
    project = open_local_repository(repo.path)
    assert open_mapping_repository(GitMapping(to="/app"), project) is project
    with pytest.raises(GitError, match="needs the project"):
        open_mapping_repository(GitMapping(to="/app"), None)


RACER = textwrap.dedent("""
    import os, sys, time
    gate = sys.argv[2]
    while not os.path.exists(gate):
        time.sleep(0.005)
    from werf_core.git.remote import open_remote_repository
    remote = open_remote_repository(sys.argv[1])
    print(remote.resolve(branch="main"), remote.directory)
""")


def test_many_processes_opening_one_remote_at_once(upstream, werf_home, tmp_path):
    repo, _ = upstream
    for i in range(200):                      # make the clone take long enough to overlap
        repo.write(f"data/{i}.txt", f"{i}\n" * 200)
    head = repo.commit("data")
    gate = tmp_path / "go"
    env = {**os.environ, "WERF_HOME": str(werf_home), "PYTHONPATH": os.getcwd()}
    racers = [subprocess.Popen([sys.executable, "-c", RACER, f"file://{repo.path}", str(gate)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    time.sleep(0.5)
    gate.touch()
    results = [r.communicate(timeout=120) for r in racers]
    assert [r.returncode for r in racers] == [0] * 6, [err for _, err in results]
    outputs = {out.strip() for out, _ in results}
    assert len(outputs) == 1 and outputs.pop().split()[0] == head
    entries = sorted(p.name for p in (werf_home / "local_cache" / "git_repos").iterdir())
    assert len(entries) == 2 and entries[1] == entries[0] + ".lock"    # one clone, its lock file, no leftovers


def test_credentials_in_urls_never_reach_messages(werf_home):
    url = f"http://ci-bot:s3cr3t-token@127.0.0.1:{free_port()}/team/app.git"
    with pytest.raises(GitError) as err:
        open_remote_repository(url)
    assert "s3cr3t-token" not in err.value.render()
    assert "http://127.0.0.1" in err.value.message and "ci-bot" not in err.value.message


@pytest.mark.parametrize("url, shown", [
    ("https://user:token@github.com/a/b.git", "https://***@github.com/a/b.git"),
    ("https://github.com/a/b.git", "https://github.com/a/b.git"),
    ("git@github.com:a/b.git", "git@github.com:a/b.git"),
    ("https://ghp_token@github.com/a/b.git", "https://***@github.com/a/b.git"),
    ("ssh://git@host:22/a/b.git", "ssh://git@host:22/a/b.git"),      # an ssh user name is no secret
    ("ssh://git:pw@host:22/a/b.git", "ssh://***@host:22/a/b.git"),
])
def test_redact_url(url, shown):
    from werf_core.git.remote import redact_url
    assert redact_url(url) == shown

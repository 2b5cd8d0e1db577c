"""How long the git part of a build plan takes on a repository of 50,000 files.

    .venv/bin/python bench/git_stage_dependencies.py [--files 50000] [--runs 5]

The repository is generated once with `git fast-import` under /tmp/werf-bench-git-<files> (reused by later runs):
Python services, a JavaScript front end, Go tools and docs, in two commits (the second edits 100 files).

Rows (median of --runs runs):
- `ls-tree` — listing and indexing the whole tree of a commit (done once per commit and repository object);
- one row per glob — its stageDependencies checksum with the listing already in memory;
- `plan: …` — everything a build plan asks git for, from a fresh repository object each run: open the repository,
  HEAD, paramshash, the install/beforeSetup/setup checksums of one mapping, and the size and text digest of the
  patch from the previous commit (gitCache/gitLatestPatch inputs). Target: under 2 s.
- `archive` / `patch tar` — for scale: the gitArchive tar of the whole repository and the patch tar of the last
  commit, streamed to /dev/null (only needed when those stages are actually built).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werf_core.git import GitMapping, open_local_repository
from werf_core.git.checksum import glob_checksum
from werf_core.git.matcher import PathMatcher

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@werf.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@werf.invalid", "GIT_CONFIG_NOSYSTEM": "1"}

MAPPING = GitMapping(
    to="/app",
    exclude_paths=["docs/drafts"],
    stage_dependencies={
        "install": ["package.json", "requirements.txt", "**/go.mod"],
        "beforeSetup": ["web/src/**/*.js"],
        "setup": ["services/**/*.py", "docs"],
    },
)


def layout(files: int) -> list[str]:
    """`files` paths: ~50% Python services, ~30% JS, ~10% Go, ~10% docs, plus a few top-level files."""
    paths = ["package.json", "requirements.txt", "README.md"]
    i = 0
    while len(paths) < files:
        kind = i % 10
        if kind < 5:
            paths.append(f"services/svc{i % 20:02}/src/pkg{(i // 20) % 25:02}/module_{i}.py")
        elif kind < 8:
            paths.append(f"web/src/components/c{(i // 10) % 60:02}/part{(i // 600) % 10}/comp_{i}.js")
        elif kind == 8:
            tool = (i // 10) % 50
            paths.append(f"tools/tool{tool:02}/go.mod" if i // 500 == 0 else f"tools/tool{tool:02}/cmd/main_{i}.go")
        else:
            section = "drafts" if i % 7 == 0 else f"guide{(i // 10) % 30:02}"
            paths.append(f"docs/{section}/page_{i}.md")
        i += 1
    return sorted(set(paths))


def fast_import_stream(paths: list[str], changed: list[str]) -> bytes:
    chunks = []

    def commit(mark: int, message: str, files: list[str], content, parent: int | None) -> None:
        chunks.append(f"commit refs/heads/main\nmark :{mark}\n"
                      f"committer bench <bench@werf.invalid> {1700000000 + mark} +0000\n"
                      f"data {len(message)}\n{message}\n".encode())
        if parent:
            chunks.append(f"from :{parent}\n".encode())
        for path in files:
            data = content(path)
            chunks.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    commit(1, "initial", paths, lambda p: f"# {p}\nvalue = {hash(p) % 1000}\n".encode(), None)
    commit(2, "edit 100 files", changed, lambda p: f"# {p}\nvalue = 'edited'\n".encode(), 1)
    return b"".join(chunks)


def make_repository(files: int) -> Path:
    path = Path(f"/tmp/werf-bench-git-{files}")
    marker = path / ".git" / "werf-bench-complete"
    if marker.exists():
        return path
    subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True, env=GIT_ENV)
    paths = layout(files)
    changed = paths[::len(paths) // 100][:100]
    started = time.perf_counter()
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=fast_import_stream(paths, changed),
                   check=True, env=GIT_ENV)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, check=True, env=GIT_ENV)
    marker.write_text("ok\n")
    print(f"generated {len(paths)} files in {path} ({time.perf_counter() - started:.1f} s)")
    return path


def median_time(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plan_git_part(path: Path) -> dict:
    repo = open_local_repository(path)          # fresh object: no listing cached
    head = repo.head_commit()
    previous = repo.resolve_commit("HEAD~1")
    result = {"paramshash": MAPPING.paramshash()}
    for stage in ("install", "beforeSetup", "setup"):
        result[stage] = repo.stage_dependencies_checksum(MAPPING, stage, head).checksum
    patch = repo.patch(MAPPING, previous, head)
    result["patch size"] = patch.size()
    result["patch digest"] = patch.text_digest()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    path = make_repository(args.files)
    repo = open_local_repository(path)
    head = repo.head_commit()
    listing_time = median_time(args.runs, lambda: open_local_repository(path).tree_listing(head))
    listing = repo.tree_listing(head)
    entries = len(listing)
    files = sum(1 for e in listing.by_path.values() if not e.is_tree)

    rows = [("ls-tree -r -t of HEAD (parse + index)", f"{entries} entries", listing_time)]
    mapping_matcher = MAPPING.matcher()
    for stage, globs in MAPPING.stage_dependencies:
        for glob in globs:
            matchers = (mapping_matcher, PathMatcher(mapping_matcher.add, (glob,)))
            matched = sum(1 for _ in listing.walk(matchers, whole_trees=True))
            seconds = median_time(args.runs, lambda m=matchers: glob_checksum(repo, head, m))
            rows.append((f"{stage}: {glob}", f"{matched} entries", seconds))
    plan = plan_git_part(path)
    plan_time = median_time(args.runs, lambda: plan_git_part(path))
    rows.append(("plan: 3 stage checksums + patch size/digest (cold)",
                 f"patch {plan['patch size']} B", plan_time))

    whole = GitMapping(to="/app")
    previous = repo.resolve_commit("HEAD~1")
    with open(os.devnull, "wb") as sink:
        archive_time = median_time(args.runs, lambda: repo.archive(whole, head).write(sink))
        patch = repo.patch(whole, previous, head)
        patch_time = median_time(args.runs, lambda: repo.patch(whole, previous, head).write(sink))
    rows.append(("archive: whole repository, tar to /dev/null", f"{files} files", archive_time))
    rows.append(("patch tar: HEAD~1 → HEAD, to /dev/null", f"{len(patch.changed_paths)} files", patch_time))

    print(f"\nrepository: {path} — {files} files, {args.runs} runs, median\n")
    width = max(len(r[0]) for r in rows)
    print(f"| {'operation':<{width}} | {'matched':>16} | {'time':>9} |")
    print(f"|{'-' * (width + 2)}|{'-' * 18}|{'-' * 11}|")
    for name, matched, seconds in rows:
        print(f"| {name:<{width}} | {matched:>16} | {seconds * 1000:>6.0f} ms |")
    verdict = "OK" if plan_time < 2.0 else "SLOWER THAN TARGET"
    print(f"\ntarget: git part of the plan < 2 s — {plan_time:.2f} s ({verdict})")


if __name__ == "__main__":
    main()

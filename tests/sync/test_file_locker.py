"""Host file locks (`:local` synchronization): flock semantics within one process and across processes."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from werf_core.errors import LockError
from werf_core.hashing import murmur_hash
from werf_core.sync.file_locker import FileLocker


@pytest.fixture
def locker(tmp_path) -> FileLocker:
    return FileLocker(tmp_path / "locks", poll_interval=0.05)


def test_lock_file_is_named_by_werfs_murmur_hash(locker, tmp_path):
    with locker.locked("proj.abc"):
        assert (tmp_path / "locks" / murmur_hash("proj.abc")).exists()
    assert locker.lock_path("proj.abc").name == murmur_hash("proj.abc")


def test_two_acquisitions_in_one_process_are_independent(locker):
    first = locker.acquire("proj.abc")
    assert locker.acquire("proj.abc", non_blocking=True) is None  # its own fd: blocks like another process
    assert locker.acquire("proj.abc", shared=True, non_blocking=True) is None
    other = locker.acquire("proj.other", non_blocking=True)
    assert other is not None
    first.release()
    second = locker.acquire("proj.abc", non_blocking=True)
    assert second is not None
    second.release()
    other.release()


def test_shared_locks_coexist_and_exclude_an_exclusive_one(locker):
    a = locker.acquire("image.x", shared=True)
    b = locker.acquire("image.x", shared=True, non_blocking=True)
    assert b is not None
    assert locker.acquire("image.x", non_blocking=True) is None
    a.release()
    assert locker.acquire("image.x", non_blocking=True) is None
    b.release()
    assert locker.acquire("image.x", non_blocking=True) is not None


def test_blocking_acquire_waits_calls_on_wait_once_and_then_gets_it(locker):
    holder = locker.acquire("proj.abc")
    waits: list[str] = []
    got: list = []
    thread = threading.Thread(target=lambda: got.append(locker.acquire("proj.abc", on_wait=waits.append)))
    thread.start()
    time.sleep(0.4)  # several polls
    assert not got and waits == ["proj.abc"]
    holder.release()
    thread.join(5)
    assert got and waits == ["proj.abc"]
    got[0].release()


def test_timeout_is_a_lock_error_naming_the_lock_and_the_wait(locker, tmp_path):
    holder = locker.acquire("proj.abc")
    started = time.monotonic()
    with pytest.raises(LockError) as info:
        locker.acquire("proj.abc", timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 1.5
    assert 'waiting for lock "proj.abc"' in info.value.message and "Timed out after 0.3 s" in info.value.message
    assert str(tmp_path / "locks") in info.value.message
    holder.release()


def test_release_is_idempotent_and_check_knows_a_released_handle(locker):
    handle = locker.acquire("proj.abc")
    handle.ensure_held()
    handle.release()
    handle.release()
    with pytest.raises(LockError, match="already released"):
        handle.ensure_held()


def test_failed_waits_do_not_leak_file_descriptors(locker):
    import os
    holder = locker.acquire("proj.abc")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        assert locker.acquire("proj.abc", non_blocking=True) is None
        with pytest.raises(LockError):
            locker.acquire("proj.abc", timeout=0.01)
    assert len(os.listdir("/proc/self/fd")) == before
    holder.release()


def test_unwritable_locks_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(LockError, match="Cannot open lock file"):
        FileLocker(blocker / "locks").acquire("x")


# -------- across processes
def test_lock_held_by_another_process_blocks_and_is_freed_when_it_dies(spawn, tmp_path, locker):
    child = spawn("hold-file", str(tmp_path / "locks"), "proj.abc", "exclusive")
    child.expect("acquired")
    assert locker.acquire("proj.abc", non_blocking=True) is None
    assert locker.acquire("proj.abc", shared=True, non_blocking=True) is None
    child.signal(signal.SIGKILL)  # no release: the kernel drops the flock with the process
    child.proc.wait(10)
    started = time.monotonic()
    handle = locker.acquire("proj.abc", timeout=5)
    assert time.monotonic() - started < 0.5
    handle.release()


def test_shared_across_processes_and_an_exclusive_waiter_in_another(spawn, tmp_path, locker):
    reader = spawn("hold-file", str(tmp_path / "locks"), "image.x", "shared")
    reader.expect("acquired")
    mine = locker.acquire("image.x", shared=True, non_blocking=True)
    assert mine is not None
    writer = spawn("hold-file", str(tmp_path / "locks"), "image.x", "exclusive")
    writer.expect("waiting image.x")
    mine.release()
    reader.send("release")
    reader.expect("released")
    writer.expect("acquired", timeout=5)
    assert locker.acquire("image.x", shared=True, non_blocking=True) is None


def test_zero_timeout_fails_at_once_without_announcing_a_wait(locker):
    holder = locker.acquire("proj.abc")
    waits: list[str] = []
    with pytest.raises(LockError):
        locker.acquire("proj.abc", timeout=0, on_wait=waits.append)
    assert waits == []
    holder.release()

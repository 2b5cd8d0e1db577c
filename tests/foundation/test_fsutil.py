import stat
import threading

from werf_core.fsutil import atomic_write


def test_creates_parents_and_sets_mode(tmp_path):
    target = atomic_write(tmp_path / "a" / "b" / "report.json", "{}\n", mode=0o644)
    assert target.read_text() == "{}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    secret = atomic_write(tmp_path / "config.json", b"token")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and secret.read_bytes() == b"token"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "config.json"]   # no temporary files left


def test_readers_see_old_or_new_content_never_a_mix(tmp_path):
    target = tmp_path / "entry"
    old, new = "o" * 200_000, "n" * 200_000
    atomic_write(target, old)
    seen = set()
    stop = threading.Event()

    def read():
        while not stop.is_set():
            seen.add(target.read_text()[::50_000])

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(200):
        atomic_write(target, new if i % 2 else old)
    stop.set()
    reader.join()
    assert seen <= {old[::50_000], new[::50_000]}

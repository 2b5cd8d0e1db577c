"""Reproducible layers: the same entries give the same bytes, whatever the order, the host or the time."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.layers import ConfigChanges, LayerWriter, append_layer, apply_changes
from werf_core.layers.config import expand_variables
from werf_core.layers.writer import LayerError


def _fill(writer: LayerWriter, entries: list[tuple[str, bytes]]) -> None:
    for name, data in entries:
        writer.add_file(name, data, mode=0o644, uid=1000, gid=1000)
        writer.ensure_directories(name)


def _members(path) -> list[tarfile.TarInfo]:
    with tarfile.open(path) as tar:
        return tar.getmembers()


def test_same_entries_in_any_order_give_the_same_blob(tmp_path):
    entries = [("app/b.txt", b"b"), ("app/a/x.txt", b"x" * 5000), ("app/c", b""), ("etc/conf", b"1")]
    first = LayerWriter(tmp_path / "one" / "layer.tar.gz", mtime=1_700_000_000)
    _fill(first, entries)
    first.add_whiteout("app/gone.txt")
    time.sleep(1.1)  # a different "now" must not matter
    second = LayerWriter(tmp_path / "two" / "other-name.gz", mtime=1_700_000_000)
    _fill(second, list(reversed(entries)))
    second.add_whiteout("/app/gone.txt")
    one, two = first.close(), second.close()
    assert (one.digest, one.diff_id, one.size) == (two.digest, two.diff_id, two.size)
    assert one.path.read_bytes() == two.path.read_bytes()
    assert one.digest == "sha256:" + hashlib.sha256(one.path.read_bytes()).hexdigest()
    assert one.diff_id == "sha256:" + hashlib.sha256(gzip.decompress(one.path.read_bytes())).hexdigest()


def test_gzip_header_is_fixed(tmp_path):
    writer = LayerWriter(tmp_path / "l.gz", mtime=5)
    writer.add_file("a", b"a")
    blob = writer.close().path.read_bytes()
    assert blob[:4] == b"\x1f\x8b\x08\x00"          # gzip, deflate, no FNAME/FEXTRA flags
    assert blob[4:8] == b"\x00\x00\x00\x00"          # mtime 0


def test_entries_are_sorted_numeric_and_carry_no_host_fields(tmp_path):
    writer = LayerWriter(tmp_path / "l.tar", mtime=42, compress=False)
    writer.add_file("z/long/" + "n" * 150, b"data", uid=70000000, gid=3)
    writer.add_directory("a", mode=0o750)
    writer.add_symlink("a/link", "../z")
    writer.add_whiteout("a/old")
    writer.add_opaque("b")
    layer = writer.close()
    members = _members(layer.path)
    names = [m.name for m in members]
    assert names == sorted(names, key=lambda n: n.split("/"))
    assert "a/.wh.old" in names and "b/.wh..wh..opq" in names
    for member in members:
        assert member.uname == "" and member.gname == ""
        assert member.mtime == 42
        assert not {"atime", "ctime"} & set(member.pax_headers)
    long = next(m for m in members if m.name.startswith("z/long/"))
    assert long.uid == 70000000
    assert next(m for m in members if m.name == "a").mode == 0o750


def test_adding_a_path_cancels_its_whiteout(tmp_path):
    writer = LayerWriter(tmp_path / "l.tar", compress=False)
    writer.add_whiteout("app/x")
    writer.add_directory("app/x")
    writer.add_file("app/x/y", b"1")
    names = [m.name for m in _members(writer.close().path)]
    assert "app/.wh.x" not in names and "app/x" in names


def test_unsafe_names_are_refused(tmp_path):
    writer = LayerWriter(tmp_path / "l.tar")
    with pytest.raises(LayerError):
        writer.add_file("../etc/passwd", b"x")
    with pytest.raises(LayerError):
        writer.add_file("/", b"x")


def test_a_streamed_file_shorter_than_announced_fails(tmp_path):
    writer = LayerWriter(tmp_path / "l.tar")
    writer.add_file("a", lambda: io.BytesIO(b"abc"), size=10)
    with pytest.raises(LayerError):
        writer.close()


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,3}", fullmatch=True), st.binary(max_size=300),
                       min_size=1, max_size=12))
def test_property_order_never_changes_the_digest(tmp_path_factory, files):
    work = tmp_path_factory.mktemp("prop")
    names = sorted(files)
    # a name must not be both a file and a directory
    names = [n for n in names if not any(o.startswith(n + "/") for o in names)]
    digests = set()
    for index, order in enumerate((names, list(reversed(names)))):
        writer = LayerWriter(work / f"{index}.gz", mtime=1)
        for name in order:
            writer.ensure_directories(name)
            writer.add_file(name, files[name])
        digests.add(writer.close().digest)
    assert len(digests) == 1


def test_config_append_layer_and_changes(tmp_path):
    writer = LayerWriter(tmp_path / "l.gz")
    writer.add_file("a", b"a")
    layer = writer.close()
    parent = {"architecture": "amd64", "os": "linux", "container": "abc", "container_config": {"Cmd": ["sh"]},
              "config": {"Env": ["PATH=/usr/bin:/bin", "A=1"], "Cmd": ["sh"], "Labels": {"x": "1"}},
              "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]},
              "history": [{"created": "2020-01-01T00:00:00Z", "created_by": "base"}]}
    config = append_layer(parent, layer, ConfigChanges(env=[("PATH", "/app/bin:$PATH"), ("A", "${A}2"),
                                                            ("B", "${MISSING:-dflt}")],
                                                       labels={"y": "2"}, expose=["8080", "53/udp"],
                                                       workdir="app", entrypoint=["/e"]),
                           parent_id="sha256:" + "1" * 64, created="2026-01-01T00:00:00Z")
    assert config["rootfs"]["diff_ids"] == ["sha256:" + "0" * 64, layer.diff_id]
    assert len(config["history"]) == 2 and "empty_layer" not in config["history"][-1]
    runtime = config["config"]
    assert runtime["Env"] == ["PATH=/app/bin:/usr/bin:/bin", "A=12", "B=dflt"]
    assert runtime["Labels"] == {"x": "1", "y": "2"}
    assert runtime["ExposedPorts"] == {"8080/tcp": {}, "53/udp": {}}
    assert runtime["WorkingDir"] == "/app"
    assert runtime["Entrypoint"] == ["/e"] and runtime["Cmd"] is None   # a new entrypoint resets cmd
    assert "container" not in config and parent["config"]["Env"] == ["PATH=/usr/bin:/bin", "A=1"]
    only_config = append_layer(parent, None, ConfigChanges(cmd=["run"]))
    assert only_config["rootfs"]["diff_ids"] == parent["rootfs"]["diff_ids"]
    assert only_config["history"][-1]["empty_layer"] is True
    assert only_config["config"]["Cmd"] == ["run"] and only_config["config"]["Env"] == parent["config"]["Env"]


def test_variable_expansion_forms():
    env = {"A": "1", "E": ""}
    assert expand_variables("$A-${A}-${A:+set}-${E:-empty}-${Z:-z}-$Z-$$", env) == "1-1-set-empty-z--$$"
    assert apply_changes({}, ConfigChanges(user="app"))["User"] == "app"

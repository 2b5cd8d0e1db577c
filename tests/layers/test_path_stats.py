"""Path attributes read from layer tars top layer first (werf_core/layers/path_stats.py): the highest entry wins,
whiteouts, opaque directories and non-directories at an ancestor hide lower entries, and a byte budget bounds it."""

from __future__ import annotations

import io
import stat
import tarfile
from contextlib import nullcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.layers.path_stats import LayerScanError, LayerSource, stat_paths_in_layers
from werf_core.layers.writer import LayerWriter

D, F = stat.S_IFDIR, stat.S_IFREG   # the answers carry the file type bits, as the engine's do


def layer(tmp_path, name: str, build) -> LayerSource:
    writer = LayerWriter(tmp_path / f"{name}.tar", compress=True)
    build(writer)
    done = writer.close()
    return LayerSource(size=done.size, open=lambda: open(done.path, "rb"))


class Opened:
    """A layer source that counts how often it was opened."""

    def __init__(self, source: LayerSource) -> None:
        self.source, self.count = source, 0

    def __call__(self) -> LayerSource:
        def opener():
            self.count += 1
            return self.source.open()
        return LayerSource(size=self.source.size, open=opener)


def test_the_highest_layer_with_the_path_answers_and_lower_layers_are_not_read(tmp_path):
    top = layer(tmp_path, "top", lambda w: w.add_directory("/app", mode=0o750, uid=1000, gid=1000))
    base = Opened(layer(tmp_path, "base", lambda w: (w.add_directory("/app", mode=0o755, uid=0, gid=0),
                                                      w.add_directory("/etc", mode=0o755, uid=0, gid=0))))
    assert stat_paths_in_layers([top, base()], ["/app"], budget=1 << 20) == {"/app": (D | 0o750, 1000, 1000)}
    assert base.count == 0
    found = stat_paths_in_layers([top, base()], ["/app", "/etc", "/missing"], budget=1 << 20)
    assert found == {"/app": (D | 0o750, 1000, 1000), "/etc": (D | 0o755, 0, 0), "/missing": None}


def test_whiteouts_opaque_directories_and_non_directories_hide_lower_entries(tmp_path):
    base = layer(tmp_path, "base", lambda w: [w.add_directory(p, mode=0o700, uid=5, gid=5)
                                              for p in ("/a", "/a/b", "/o", "/o/inner", "/f", "/f/x", "/k", "/k/d")])

    def upper(w: LayerWriter) -> None:
        w.add_whiteout("/a")                       # /a and everything below it is gone
        w.add_opaque("/o")                         # /o stays, its lower content is hidden
        w.add_directory("/o", mode=0o711, uid=0, gid=0)
        w.add_file("/f", b"now a file", mode=0o644, uid=0, gid=0)   # a file replaces the directory /f
        w.add_file("/k/new", b"x", mode=0o600, uid=0, gid=0)        # adding below /k keeps /k/d
    top = layer(tmp_path, "top", upper)
    found = stat_paths_in_layers([top, base], ["/a", "/a/b", "/o", "/o/inner", "/f/x", "/f", "/k/d"],
                                 budget=1 << 20)
    assert found == {"/a": None, "/a/b": None, "/o": (D | 0o711, 0, 0), "/o/inner": None, "/f/x": None,
                     "/f": (F | 0o644, 0, 0), "/k/d": (D | 0o700, 5, 5)}


def test_the_root_and_spelling_variants(tmp_path):
    top = layer(tmp_path, "top", lambda w: w.add_directory("/app/sub", mode=0o755, uid=3, gid=4))
    assert stat_paths_in_layers([top], ["/", "app/sub/", "/app//sub"], budget=1 << 20) == {
        "/": (D | 0o755, 0, 0), "app/sub/": (D | 0o755, 3, 4), "/app//sub": (D | 0o755, 3, 4)}


def test_the_budget_leaves_the_question_open_instead_of_reading_big_layers(tmp_path):
    top = layer(tmp_path, "top", lambda w: w.add_file("/x", b"x", mode=0o644, uid=0, gid=0))
    big = Opened(layer(tmp_path, "big", lambda w: w.add_directory("/usr", mode=0o755, uid=0, gid=0)))
    assert stat_paths_in_layers([top, big()], ["/usr"], budget=top.size + big.source.size - 1) is None
    assert big.count == 0
    assert stat_paths_in_layers([top, big()], ["/usr"], budget=top.size + big.source.size) == {"/usr": (D | 0o755, 0, 0)}


def test_a_layer_that_is_not_a_tar_is_an_error():
    garbage = LayerSource(size=10, open=lambda: nullcontext(io.BytesIO(b"\x1f\x8bnot gzip at all")))
    with pytest.raises(LayerScanError):
        stat_paths_in_layers([garbage], ["/x"], budget=1 << 20)


def _plain_tar(entries: list[tuple[str, str]]) -> bytes:
    """An uncompressed tar as an engine writes one: `./`-prefixed names, directories with a trailing slash."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind in entries:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE if kind == "dir" else tarfile.REGTYPE
            info.mode, info.uid, info.gid = 0o755, 7, 8
            tar.addfile(info, io.BytesIO(b"") if kind == "file" else None)
    return buffer.getvalue()


def test_uncompressed_engine_style_names():
    data = _plain_tar([("./", "dir"), ("./srv/", "dir"), ("./srv/.wh.gone", "file")])
    source = LayerSource(size=len(data), open=lambda: nullcontext(io.BytesIO(data)))
    lower = _plain_tar([("srv/gone", "dir")])
    below = LayerSource(size=len(lower), open=lambda: nullcontext(io.BytesIO(lower)))
    assert stat_paths_in_layers([source, below], ["/srv", "/srv/gone"], budget=1 << 20) == {
        "/srv": (D | 0o755, 7, 8), "/srv/gone": None}


_names = st.sampled_from(["a", "b", "c"])
_paths = st.lists(_names, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
# per layer: paths added as directories (mode tells the layer apart) and paths whited out
_layers = st.lists(st.tuples(st.sets(_paths, max_size=4), st.sets(_paths, max_size=2)), min_size=1, max_size=4)


def _merged(layers: list[tuple[set[str], set[str]]]) -> dict[str, int]:
    """The filesystem the layers give when applied bottom-up (the reference semantics): path -> layer index."""
    present: dict[str, int] = {}
    for index in reversed(range(len(layers))):      # the last element is the base layer
        added, removed = layers[index]
        for gone in removed - added:
            for path in list(present):
                if path == gone or path.startswith(gone + "/"):
                    del present[path]
        for path in added:
            present[path] = index
    return present


@settings(max_examples=60, deadline=None)
@given(_layers)
def test_property_the_scan_agrees_with_applying_the_layers(tmp_path_factory, layers):
    tmp = tmp_path_factory.mktemp("layers")
    sources = []
    for index, (added, removed) in enumerate(layers):
        def build(w: LayerWriter, added=added, removed=removed, index=index) -> None:
            gone = removed - added
            for path in sorted(gone):
                if not any(path.startswith(a + "/") for a in gone - {path}):
                    w.add_whiteout(path)
            for path in sorted(added):
                w.add_directory(path, mode=0o700 + index, uid=index, gid=index)
        sources.append(layer(tmp, f"l{index}", build))
    merged = _merged(layers)
    wanted = sorted({p for added, removed in layers for p in added | removed})
    found = stat_paths_in_layers(sources, wanted, budget=1 << 30)
    assert found is not None
    for path in wanted:
        if path in merged:
            index = merged[path]
            assert found[path] == (D | 0o700 + index, index, index), path
        else:
            assert found[path] is None, path


def test_a_memo_answers_a_repeated_question_without_reading_the_layers_again(tmp_path):
    top = Opened(layer(tmp_path, "top", lambda w: w.add_file("/etc/passwd", b"root", mode=0o644, uid=0, gid=0)))
    base = Opened(layer(tmp_path, "base", lambda w: w.add_directory("/usr", mode=0o755, uid=0, gid=0)))
    memo: dict = {}

    def keyed(opened: Opened, key: str) -> LayerSource:
        source = opened()
        return LayerSource(size=source.size, open=source.open, key=key)

    def ask(paths):
        return stat_paths_in_layers([keyed(top, "sha256:top"), keyed(base, "sha256:base")], paths,
                                    budget=1 << 20, memo=memo)

    assert ask(["/app", "/usr"]) == {"/app": None, "/usr": (D | 0o755, 0, 0)}
    assert (top.count, base.count) == (1, 1)
    assert ask(["/usr", "/app"]) == {"/app": None, "/usr": (D | 0o755, 0, 0)}
    assert (top.count, base.count) == (1, 1)
    assert ask(["/etc/passwd", "/app"]) == {"/etc/passwd": (F | 0o644, 0, 0), "/app": None}
    assert (top.count, base.count) == (2, 1)      # only the new path was looked up, and the top layer answered

"""The ConfigMap cache document: werf's format, tolerance of damage, and the size budget with eviction."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from werf_core.storage.stage_id import StageID
from werf_core.sync.cache_document import CacheDocument


def ids(digest: str, *unique: int) -> list[StageID]:
    return [StageID(digest, u) for u in unique]


def test_round_trip_in_werf_format():
    doc = CacheDocument()
    doc.store("aaa", ids("aaa", 1, 2))
    doc.store("bbb", [])
    text = doc.serialize()
    assert json.loads(text) == {"stagesBySignature": {
        "aaa": [{"signature": "aaa", "uniqueID": 1}, {"signature": "aaa", "uniqueID": 2}], "bbb": []}}
    again = CacheDocument.parse(text)
    assert again.get("aaa") == ids("aaa", 1, 2)
    assert again.get("bbb") == []          # cached as "no stages"
    assert again.get("ccc") is None        # not cached


def test_document_written_by_werf_with_null_list_and_sorted_keys_is_read():
    text = '{"stagesBySignature":{"a1":[{"signature":"a1","uniqueID":5}],"b2":null}}'
    doc = CacheDocument.parse(text)
    assert doc.get("a1") == ids("a1", 5) and doc.get("b2") == []


def test_unparsable_or_foreign_content_is_an_empty_cache():
    for text in (None, "", "{", "[]", '{"stagesBySignature": 3}', "null"):
        assert len(CacheDocument.parse(text)) == 0


def test_damaged_entries_are_dropped_and_the_rest_kept():
    text = json.dumps({"stagesBySignature": {"good": [{"signature": "good", "uniqueID": 1}],
                                             "bad": [{"uniqueID": "x"}], "worse": "nope"}})
    doc = CacheDocument.parse(text)
    assert doc.all() == {"good": ids("good", 1)}


def test_storing_again_makes_an_entry_the_most_recent():
    doc = CacheDocument()
    for d in ("a", "b", "c"):
        doc.store(d, ids(d, 1))
    doc.store("a", ids("a", 1, 2))
    assert doc.digests() == ["b", "c", "a"]
    # and that order survives a round trip through JSON
    assert CacheDocument.parse(doc.serialize()).digests() == ["b", "c", "a"]


def test_budget_evicts_least_recently_stored_first():
    doc = CacheDocument()
    for i in range(100):
        doc.store(f"d{i:03}", ids(f"d{i:03}", 1000 + i))  # equal-sized entries
    entry = len(CacheDocument({"d000": ids("d000", 1000)}).serialize()) - len(CacheDocument().serialize())
    budget = len(CacheDocument().serialize()) + 10 * (entry + 1)
    text = doc.serialize(budget)
    assert len(text) <= budget
    kept = CacheDocument.parse(text).digests()
    assert kept == [f"d{i:03}" for i in range(90, 100)]


def test_an_entry_larger_than_the_budget_is_not_stored_at_all():
    doc = CacheDocument()
    doc.store("small", ids("small", 1))
    doc.store("huge", ids("huge", *range(1000)))
    text = doc.serialize(2000)
    assert CacheDocument.parse(text).all() == {}
    assert CacheDocument().serialize(0) == '{"stagesBySignature":{}}'  # the empty document is always writable


stage_lists = st.lists(st.integers(min_value=0, max_value=2**45), max_size=4)
operations = st.lists(st.tuples(st.sampled_from(["store", "delete"]),
                                st.text(alphabet="0123456789abcdef", min_size=1, max_size=12), stage_lists),
                      max_size=60)


@settings(max_examples=200, deadline=None)
@given(operations, st.integers(min_value=0, max_value=3000))
def test_serialized_document_fits_its_budget_and_keeps_a_newest_suffix(ops, budget):
    doc = CacheDocument()
    model: dict[str, list[StageID]] = {}
    for kind, digest, uniques in ops:
        if kind == "store":
            doc.store(digest, ids(digest, *uniques))
            model.pop(digest, None)
            model[digest] = ids(digest, *uniques)
        else:
            doc.delete(digest)
            model.pop(digest, None)
    text = doc.serialize(budget)
    assert len(text.encode()) <= max(budget, len('{"stagesBySignature":{}}'))
    kept = CacheDocument.parse(text)
    order = list(model)
    # what survives is exactly the most recently stored entries, with their exact contents
    assert kept.digests() == order[len(order) - len(kept):]
    for digest in kept.digests():
        assert kept.get(digest) == model[digest]
    # and nothing was evicted needlessly: one more entry would not have fitted
    if len(kept) < len(order):
        bigger = CacheDocument({d: model[d] for d in order[len(order) - len(kept) - 1:]})
        assert len(bigger.serialize()) > budget

"""Aligning the lines of a template with the lines it rendered (patience-diff style, O(n log n)).

`difflib.SequenceMatcher` gives good alignments but takes ~0.2 s on a 3,000-line config full of repeated lines
(`---`, `  to: /app`), and every load needs the alignment to tell each section its source line. Patience alignment
anchors on lines that occur exactly once on both sides (image names, distinctive commands), keeps the longest chain of
anchors that is in order on both sides, and recurses into the gaps, where common leading and trailing lines are matched
and lines unique within the gap become new anchors. Small gaps without anchors fall back to SequenceMatcher.
"""

from __future__ import annotations

import bisect
from collections import Counter

SMALL_GAP = 4_000        # len(a) * len(b) under which SequenceMatcher settles a gap without unique anchors
MAX_DEPTH = 60


def align_lines(source: list[str], rendered: list[str]) -> list[tuple[int, int, int]]:
    """Matching runs (source index, rendered index, length), increasing in both sequences."""
    pairs: list[tuple[int, int]] = []
    _align(source, rendered, 0, len(source), 0, len(rendered), pairs, 0)
    blocks: list[tuple[int, int, int]] = []
    for a, b in pairs:
        if blocks and blocks[-1][0] + blocks[-1][2] == a and blocks[-1][1] + blocks[-1][2] == b:
            start_a, start_b, size = blocks[-1]
            blocks[-1] = (start_a, start_b, size + 1)
        else:
            blocks.append((a, b, 1))
    return blocks


def _align(src: list[str], ren: list[str], a0: int, a1: int, b0: int, b1: int,
           out: list[tuple[int, int]], depth: int) -> None:
    while a0 < a1 and b0 < b1 and src[a0] == ren[b0]:
        out.append((a0, b0))
        a0, b0 = a0 + 1, b0 + 1
    suffix: list[tuple[int, int]] = []
    while a1 > a0 and b1 > b0 and src[a1 - 1] == ren[b1 - 1]:
        a1, b1 = a1 - 1, b1 - 1
        suffix.append((a1, b1))
    if a0 < a1 and b0 < b1:
        anchors = _unique_anchors(src, ren, a0, a1, b0, b1) if depth < MAX_DEPTH else []
        if anchors:
            prev_a, prev_b = a0, b0
            for a, b in anchors:
                _align(src, ren, prev_a, a, prev_b, b, out, depth + 1)
                out.append((a, b))
                prev_a, prev_b = a + 1, b + 1
            _align(src, ren, prev_a, a1, prev_b, b1, out, depth + 1)
        elif (a1 - a0) * (b1 - b0) <= SMALL_GAP:
            from difflib import SequenceMatcher
            matcher = SequenceMatcher(None, src[a0:a1], ren[b0:b1], autojunk=False)
            for a, b, size in matcher.get_matching_blocks():
                out.extend((a0 + a + k, b0 + b + k) for k in range(size))
    out.extend(reversed(suffix))


def _unique_anchors(src: list[str], ren: list[str], a0: int, a1: int, b0: int,
                    b1: int) -> list[tuple[int, int]]:
    """Lines occurring once in both ranges, reduced to the longest chain increasing on both sides."""
    count_src = Counter(src[a0:a1])
    count_ren = Counter(ren[b0:b1])
    position = {src[i]: i for i in range(a0, a1) if count_src[src[i]] == 1}
    candidates = [(position[ren[j]], j) for j in range(b0, b1)
                  if count_ren[ren[j]] == 1 and ren[j] in position]
    return _longest_increasing_chain(candidates)


def _longest_increasing_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of `pairs` (already increasing in the second item) increasing in the first item."""
    tails: list[int] = []            # source index at the end of the best chain of each length
    tail_pos: list[int] = []         # index into pairs of that chain end
    previous: list[int] = [-1] * len(pairs)
    for index, (a, _) in enumerate(pairs):
        length = bisect.bisect_left(tails, a)
        if length == len(tails):
            tails.append(a)
            tail_pos.append(index)
        else:
            tails[length] = a
            tail_pos[length] = index
        previous[index] = tail_pos[length - 1] if length else -1
    chain: list[tuple[int, int]] = []
    index = tail_pos[-1] if tail_pos else -1
    while index >= 0:
        chain.append(pairs[index])
        index = previous[index]
    return chain[::-1]

"""The stored order of a run's pairs: by left_key (as text, byte by byte), rank, and
right_key where ranks tie.

Sorting text is the slow part for large runs; keys that are decimal integers (row
numbers, Gaia ``source_id``) are ordered as their text would be without building it:
``"-..."`` before digits, then by the digits left-aligned, a shorter number first when
one is a prefix of the other (``"1" < "10" < "9"``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Canonical decimal integers (no sign on zero, no leading zeros), at most 19 digits.
DECIMAL = r"^(0|-?[1-9][0-9]{0,18})$"


def text_order(values: np.ndarray) -> np.ndarray:
    """Indices that sort int64 ``values`` as their decimal text sorts (byte order).

    Examples
    --------
    >>> v = np.array([10, 9, -5, 1, -45, 0, 100])
    >>> [str(x) for x in v[text_order(v)]]
    ['-45', '-5', '0', '1', '10', '100', '9']

    """
    v = np.asarray(values, dtype=np.int64)
    neg = v < 0
    mag = np.where(neg, -(v + 1), v).astype(np.uint64) + neg.astype(np.uint64)  # |v|
    pow10 = np.array([10**k for k in range(20)], dtype=np.uint64)
    digits = np.searchsorted(pow10[1:], mag, side="right") + 1  # 1 to 19
    aligned = mag * pow10[19 - digits]  # < 10**19 < 2**64
    return np.lexsort((digits, aligned, ~neg))


def key_positions(keys: pa.Array) -> tuple[np.ndarray, int]:
    """Position of each key among the distinct keys in text order, and how many there are."""
    if len(keys) and pc.all(pc.match_substring_regex(keys, DECIMAL)).as_py():
        try:
            ints = pc.cast(keys, pa.int64()).to_numpy()
        except pa.ArrowInvalid:  # beyond int64
            ints = None
        if ints is not None:
            order = text_order(ints)
            s = ints[order]
            new = np.ones(len(s), bool)
            new[1:] = s[1:] != s[:-1]
            position = np.empty(len(s), np.int64)
            position[order] = np.cumsum(new) - 1
            return position, int(new.sum())
    enc = pc.dictionary_encode(keys)
    n_keys = len(enc.dictionary)
    position = np.empty(n_keys, np.int64)
    position[pc.sort_indices(enc.dictionary).to_numpy()] = np.arange(n_keys)
    return position[enc.indices.to_numpy()], n_keys


def sort_pairs(pairs: pa.Table) -> pa.Table:
    """``pairs`` ordered by left_key, rank, right_key (NULL ranks last), as stored.

    Examples
    --------
    >>> t = pa.table({"left_key": ["b", "a", "b"], "right_key": ["x", "y", "z"],
    ...               "rank": [2, 1, 1]})
    >>> sort_pairs(t).column("right_key").to_pylist()
    ['y', 'z', 'x']
    """
    order = pair_order(pairs)
    return pairs if order is None else pairs.take(pa.array(order))


def pair_order(pairs: pa.Table) -> np.ndarray | None:
    """Row order that sorts ``pairs`` by left_key, rank, right_key; None when in order.

    Only the distinct left keys are sorted, as strings. The engine emits each left
    source's pairs together, ranked (nearest first), with the sources in sky order: then
    the groups are moved whole. Otherwise the pairs are ordered on (position of the left
    key, rank), and by right_key too only when a left key has tied or NULL ranks.
    """
    n = pairs.num_rows
    if n < 2:
        return None
    left, rank = pairs.column("left_key").combine_chunks(), pairs.column("rank")
    if left.null_count or rank.null_count:
        return _order_by_all(pairs)
    ranks = rank.to_numpy()
    new_group = np.empty(n, bool)
    new_group[0] = True
    new_group[1:] = pc.not_equal(left.slice(0, n - 1), left.slice(1)).to_numpy(
        zero_copy_only=False)
    starts = np.flatnonzero(new_group)
    lengths = np.diff(np.append(starts, n))
    group_pos, n_keys = key_positions(left.take(pa.array(starts)))
    ranked = not np.any(~new_group[1:] & (ranks[1:] <= ranks[:-1]))
    if ranked and n_keys == len(starts):  # one group per key: move the groups whole
        if np.all(group_pos[1:] > group_pos[:-1]):
            return None
        order = np.empty(n_keys, np.int64)
        order[group_pos] = np.arange(n_keys)
        moved = lengths[order]
        shift = starts[order] - (np.cumsum(moved) - moved)
        return np.arange(n) + np.repeat(shift, moved)
    codes = np.repeat(group_pos, lengths)
    idx = np.lexsort((ranks, codes))
    c, r = codes[idx], ranks[idx]
    if np.any((c[1:] == c[:-1]) & (r[1:] == r[:-1])):  # tied ranks: right_key decides
        return _order_by_all(pairs)
    return idx


def _order_by_all(pairs: pa.Table) -> np.ndarray:
    keys = [("left_key", "ascending", "at_end"), ("rank", "ascending", "at_end"),
            ("right_key", "ascending", "at_end")]
    return pc.sort_indices(pairs, keys).to_numpy()

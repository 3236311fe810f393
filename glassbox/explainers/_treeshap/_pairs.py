"""Interventional TreeSHAP of deep trees: the compatible pairs of rows, found top-down.

For an explained row ``x``, a background row ``z`` and a leaf, hybrids of ``x`` and ``z``
reach the leaf only if no path feature is failed by both (the pair is *compatible* at the
leaf); then each feature only ``x`` satisfies (``A``: those ``z`` fails) gains
``v (|A|-1)! |B|! / (|A|+|B|)!`` and each feature only ``z`` satisfies (``B``: those ``x``
fails) loses ``v |A|! (|B|-1)! / (|A|+|B|)!``.

Going down the nodes, every (node, explained row) carries the background rows still
compatible with it as a bit set (one bit per background row, bytes of eight): a child
keeps a background row unless both fail the child's feature. So compatible pairs are
found with one AND of ``n_background / 8`` bytes per node and row, never by enumerating
every (leaf, row, background row) triple. At the leaves the compatible pairs are listed
from the bit sets; ``|A|`` (the failures of ``z``, known in advance per leaf and
background row) and ``|B|`` (those of ``x``, counted going down) give the two weights:

* the gains go to the features ``z`` fails, a set known in advance per leaf and
  background row: they are added up per explained row and such set, then spread over
  the set's features by one sparse product;
* the losses go to the features ``x`` fails: added up per leaf and row, then summed up
  the tree and charged at the edge where ``x`` first fails each feature.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from ._subtrees import _reduction
from ._tables import _shapley_weights

_GROUP_NODES = 2**13  # nodes per group of trees


def _chunk_tables():
    """Set bits of every 16-bit chunk of a bit set: their count, and their positions.

    Bit sets are bytes, bit ``k`` of byte ``j`` standing for background row ``8 j + k``;
    a chunk is two bytes read as one ``uint16`` in the machine's byte order.
    """
    as_bytes = np.arange(2**16, dtype=np.uint16).view(np.uint8).reshape(-1, 2)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="little").astype(bool)  # (65536, 16)
    count = bits.sum(axis=1)
    position = np.zeros((2**16, 16), np.intp)
    row, column = np.nonzero(bits)
    position[row, np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)] = column
    return count, position.ravel()


_CHUNK_COUNT, _CHUNK_BITS = _chunk_tables()


class _CompatiblePairs:
    """Interventional values of some leaves, from their compatible pairs.

    Parameters
    ----------
    ens : TreeEnsemble
    paths : _Paths
    leaves : ndarray of int
        The leaves explained here (none alone in its tree); the pass goes through the
        nodes above them.
    reference_goes_left : ndarray of shape (n_internal + 1, n_background) bool
        The router's output for the background rows.
    reference_weights : ndarray of shape (n_background,)
    expected_value : ndarray of shape (n_outputs,)
        The leaves' weighted mean output over the background is added to it.
    """

    def __init__(self, ens, paths, leaves, reference_goes_left, reference_weights, expected_value):
        self.width = ens.value.shape[1]
        self.n_outputs, self.n_features = ens.n_outputs, ens.n_model_features
        self.n_reference = n_reference = len(reference_weights)
        self.n_words = 1 << int(np.ceil(np.log2((n_reference + 63) // 64)))  # a power of two: shifts, not divisions
        everyone = np.zeros(8 * self.n_words, np.uint8)
        everyone[: (n_reference + 7) // 8] = np.packbits(np.ones(n_reference, bool), bitorder="little")
        self.everyone = everyone.view(np.uint64)
        kept = paths.with_ancestors(leaves)
        trees = np.unique(ens.tree_of[leaves])
        self.leaf_index = np.full(ens.n_nodes, -1, np.intp)
        self.leaf_index[leaves] = np.arange(len(leaves))
        d_max = int(paths.n_unique[leaves].max(initial=1))
        w_a, w_b = _shapley_weights(d_max)
        self.stride = d_max + 1
        # With equal background weights the weight is folded into the closed forms.
        self.mass = None if np.ptp(reference_weights) == 0 else reference_weights
        scale = reference_weights[0] if self.mass is None else 1.0
        self.gain_weight, self.loss_weight = scale * w_a.ravel(), scale * w_b.ravel()
        counts = np.bincount(ens.tree_of[kept], minlength=len(ens.roots))[trees]
        cuts = np.flatnonzero(np.diff(np.floor(np.cumsum(counts) / _GROUP_NODES))) + 1
        self.groups = [
            _PairPass(ens, paths, group, kept, self.leaf_index >= 0, self.n_words) for group in np.split(trees, cuts)
        ]
        # Per leaf and background row: how many path features the row fails, and which
        # (an id of the set of features; the sets are the rows of ``set_features``).
        failures = np.zeros((len(leaves), n_reference), np.int32)
        keys = np.zeros((len(leaves), n_reference, (ens.n_model_features + 61) // 62), np.int64)
        for group in self.groups:
            group_leaves, group_failures, group_keys = group.reference_failures(ens, reference_goes_left)
            group.leaves = group_leaves
            failures[self.leaf_index[group_leaves]] = group_failures
            keys[self.leaf_index[group_leaves]] = group_keys
        set_of, set_features = _number_sets(keys.reshape(-1, keys.shape[2]), ens.n_model_features)
        # Sets are numbered again within each group of trees: its gains per (row, set)
        # stay few enough for a dense array. Premultiplied: the row of the closed
        # forms' tables, and the set's first column.
        set_of = set_of.reshape(len(leaves), n_reference)
        identity = sparse.identity(self.n_outputs, format="csr")
        for group in self.groups:
            rows = self.leaf_index[group.leaves]
            present = np.zeros(set_features.shape[0], bool)
            present[set_of[rows]] = True
            set_of[rows] = (np.cumsum(present, dtype=np.int32) - 1)[set_of[rows]]
            group.n_columns = int(present.sum()) * self.n_outputs
            # Gains per (row, set, output column), spread over the set's features.
            group.spread_t = sparse.kron(set_features[np.flatnonzero(present)], identity, format="csr").T
        self.failures, self.set_of = (failures * self.stride).ravel(), set_of.ravel() * self.n_outputs
        columns = ens.tree_columns[ens.tree_of[leaves]]
        self.leaf_columns, self.leaf_value = columns, ens.value[leaves]
        reach = (failures == 0) @ reference_weights
        np.add.at(expected_value, columns, ens.value[leaves] * reach[:, None])
        # Per row and group: the nodes' flags (bytes) and the leaves' losses, kept for the
        # way back up, the bit sets of two levels at a time, and the gains per set.
        self._cells = max(
            group.size // 4 + group.n_leaves * self.width + 4 * group.widest * self.n_words + group.n_columns
            for group in self.groups
        )

    def cells_per_row(self):
        """Floats of work arrays per explained row."""
        return self._cells

    def __call__(self, goes_left):
        """Values of the rows, shape (n_model_features * n_outputs, n_rows)."""
        n_rows = goes_left.shape[1]
        phi = np.zeros((self.n_features * self.n_outputs, n_rows))
        for group in self.groups:
            gains = []
            group(goes_left, phi, self, gains)
            if not gains:
                continue
            keys, data = (np.concatenate(part) for part in zip(*gains))
            # Dense: its n_columns floats per row are in cells_per_row, so the chunks of
            # rows keep it within their budget (a sparse matrix spent most of its time
            # sorting its duplicate entries).
            by_set = np.bincount(keys, weights=data, minlength=n_rows * group.n_columns)
            phi += group.spread_t @ by_set.reshape(group.n_columns, n_rows)
        return phi

    def leaf_pairs(self, leaves, compatible, failed, n_rows):
        """Weights of the compatible pairs at some leaves.

        Parameters
        ----------
        leaves : ndarray of shape (n_leaves,)
            Node ids.
        compatible : ndarray of shape (n_leaves, n_rows, n_words) uint64
            Bit sets of the background rows compatible with each (leaf, row).
        failed : ndarray of shape (n_leaves, n_rows)
            Path features each row fails at each leaf (``|B|``).

        Returns
        -------
        loss : ndarray of shape (n_leaves, n_rows, width)
            What each feature the row fails loses, per leaf and row.
        gains : tuple (keys, data)
            Gains per ``(set * n_outputs + column) * n_rows + row``: set-major, so the
            product spreading them over the sets' features reads contiguous rows.
        """
        n_leaves = len(leaves)
        n_items = n_leaves * n_rows
        index = self.leaf_index[leaves]
        value, columns = self.leaf_value[index], self.leaf_columns[index]  # (n_leaves, width)
        # Per (leaf, row): where its pairs' entries start, its failures, its row of gains.
        item_base = np.repeat(index * self.n_reference, n_rows)
        item_failed = failed.ravel()
        item_row = (columns[:, :1] * n_rows + np.arange(n_rows)).ravel()
        # The compatible pairs: the set bits of the bit sets, 16 at a time.
        chunks = np.ascontiguousarray(compatible).reshape(n_items, -1).view(np.uint16)
        shift = int(np.log2(chunks.shape[1]))
        where = np.flatnonzero(chunks)
        bits = chunks.ravel()[where]
        count = _CHUNK_COUNT[bits]
        code = np.repeat(bits.astype(np.intp) * 16 - (np.cumsum(count) - count), count)
        code += np.arange(len(code))
        where = np.repeat(where, count)
        item = where >> shift
        reference = where & (chunks.shape[1] - 1)
        reference *= 16
        reference += _CHUNK_BITS[code]
        pair = item_base[item]
        pair += reference
        weight = self.failures[pair]
        weight += item_failed[item]
        lost, gained = self.loss_weight[weight], self.gain_weight[weight]
        if self.mass is not None:
            lost *= self.mass[reference]
            gained *= self.mass[reference]
        loss = np.bincount(item, weights=lost, minlength=n_items).reshape(n_leaves, n_rows, 1) * value[:, None, :]
        key = self.set_of[pair]
        key *= n_rows
        key += item_row[item]
        if self.width == 1:
            gained *= np.repeat(value[:, 0], n_rows)[item]
            return loss, (key, gained)
        leaf_local = item // n_rows
        keys = key[:, None] + (columns[leaf_local] - columns[leaf_local, :1]) * n_rows
        return loss, (keys.ravel(), (gained[:, None] * value[leaf_local]).ravel())


class _PairPass:
    """The nodes ``kept`` of some trees, level by level, for the compatible pairs at ``leaves``."""

    def __init__(self, ens, paths, trees, kept, leaves, n_words):
        left, right = ens.left, ens.right
        self.n_words = n_words
        columns = ens.tree_columns[ens.tree_of]
        roots = ens.roots[trees]
        self.n_roots, self.width = len(roots), ens.value.shape[1]
        self.n_output_rows = ens.n_model_features * ens.n_outputs
        width_slots = paths.features.shape[1]
        size = len(roots)
        last = np.full((len(roots), width_slots), -1, np.intp)
        frontier, inner = roots, np.arange(len(roots))
        self.levels = []
        while len(inner):
            parents = frontier[inner]
            children = np.concatenate([left[parents], right[parents]])
            twice = np.concatenate([parents, parents])
            m = len(children)
            slot = paths.bit[children]
            previous = last[np.concatenate([inner, inner]), slot]
            last = last[np.concatenate([inner, inner])]
            last[np.arange(m), slot] = size + np.arange(m)
            leaf = (left[children] < 0) | ~kept[children]  # the pass ends there
            explained = leaves[children]
            rows = ens.feature[twice][:, None] * ens.n_outputs + columns[twice]
            self.levels.append(
                {
                    "positions": slice(size, size + m),
                    "previous": np.where(previous >= 0, previous, -1),  # -1: the always-true row
                    "router": paths.gpos[twice],
                    "is_left": (np.arange(m) < len(parents))[:, None],
                    "n_parents": len(parents),
                    "leaf": np.flatnonzero(explained),
                    "leaves": children[explained],
                    "feature": ens.feature[twice],
                    "next": np.flatnonzero(~leaf),
                    "reduce": _reduction(rows, self.n_output_rows),
                }
            )
            size += m
            frontier, inner = children, np.flatnonzero(~leaf)
        self.size = size
        self.widest = max((level["positions"].stop - level["positions"].start for level in self.levels), default=0)
        self.n_leaves = sum(len(level["leaf"]) for level in self.levels)
        self.kept = None  # bit sets of the background rows satisfying each edge's feature so far
        # Set by _CompatiblePairs: the leaves, and the sets of failed features of this group.
        self.leaves, self.n_columns, self.spread_t = None, 0, None

    def _satisfied(self, goes_left):
        """Rows satisfying each edge's feature so far, shape (size + 1, n_rows); last row true."""
        satisfied = np.empty((self.size + 1, goes_left.shape[1]), bool)
        satisfied[-1] = True
        for level in self.levels:
            s = satisfied[level["positions"]]
            np.equal(goes_left[level["router"]], level["is_left"], out=s)
            s &= satisfied[level["previous"]]
        return satisfied

    def reference_failures(self, ens, reference_goes_left):
        """The background's failures per leaf: counts and feature-set keys; keeps its bit sets.

        Returns
        -------
        leaves : ndarray of int
        failures : ndarray of shape (n_leaves, n_background)
        keys : ndarray of shape (n_leaves, n_background, n_words) int64
            The failed features as bit sets of 62-bit words.
        """
        satisfied = self._satisfied(reference_goes_left)
        kept = np.zeros((len(satisfied), 8 * self.n_words), np.uint8)
        packed = np.packbits(satisfied, axis=1, bitorder="little")
        kept[:, : packed.shape[1]] = packed
        self.kept = kept.view(np.uint64)
        n_reference, n_words = satisfied.shape[1], (ens.n_model_features + 61) // 62
        count = np.zeros((self.n_roots, n_reference), np.int32)
        key = np.zeros((self.n_roots, n_reference, n_words), np.int64)
        leaves, failures, keys = [], [], []
        for level in self.levels:
            first_fail = satisfied[level["previous"]] & ~satisfied[level["positions"]]
            feature = level["feature"]
            bit = np.zeros((len(feature), n_words), np.int64)
            bit[np.arange(len(feature)), feature // 62] = np.left_shift(1, feature % 62)
            n = level["n_parents"]
            count = (first_fail.reshape(2, n, -1) + count[None]).reshape(2 * n, -1)
            key = np.where(first_fail[:, :, None], bit[:, None, :], 0).reshape(2, n, n_reference, -1) | key[None]
            key = key.reshape(2 * n, n_reference, -1)
            leaves.append(level["leaves"])
            failures.append(count[level["leaf"]])
            keys.append(key[level["leaf"]])
            count, key = count[level["next"]], key[level["next"]]
        return np.concatenate(leaves), np.concatenate(failures), np.concatenate(keys)

    def __call__(self, goes_left, phi, pairs, gains):
        n_rows = goes_left.shape[1]
        satisfied = np.empty((self.size + 1, n_rows), bool)
        satisfied[-1] = True
        # Bit sets word-major, (node, word, row): the words are few (two for 100 background
        # rows), so rows are the long inner loop of every operation on them.
        compatible = np.broadcast_to(pairs.everyone[None, :, None], (self.n_roots, self.n_words, n_rows))
        failed = np.zeros((self.n_roots, n_rows), np.int16)
        stash = []
        for level in self.levels:
            s = satisfied[level["positions"]]
            before = satisfied[level["previous"]]
            np.equal(goes_left[level["router"]], level["is_left"], out=s)
            s &= before
            first_fail = before & ~s
            n = level["n_parents"]
            # A row satisfying the edge keeps every background row: all bits set.
            keep = np.bitwise_or(self.kept[level["positions"]][:, :, None], np.negative(s, dtype=np.uint64)[:, None, :])
            keep.reshape(2, n, self.n_words, n_rows)[...] &= compatible[None]
            child_failed = (first_fail.reshape(2, n, n_rows) + failed[None]).reshape(2 * n, n_rows)
            loss = None
            if len(level["leaf"]):
                loss, leaf_gains = pairs.leaf_pairs(
                    level["leaves"],
                    keep[level["leaf"]].transpose(0, 2, 1),
                    child_failed[level["leaf"]],
                    n_rows,
                )
                gains.append(leaf_gains)
            compatible, failed = keep[level["next"]], child_failed[level["next"]]
            stash.append((first_fail, loss))
        below = None
        for level, (first_fail, loss) in zip(reversed(self.levels), reversed(stash)):
            m = len(first_fail)
            lost = np.zeros((m, n_rows, self.width))  # zero where the pass ends without a leaf of its own
            if loss is not None:
                lost[level["leaf"]] = loss
            if below is not None:
                half = len(below) // 2
                lost[level["next"]] = below[:half] + below[half:]
            charged = lost * first_fail[:, :, None]
            phi -= level["reduce"] @ charged.transpose(0, 2, 1).reshape(m * self.width, n_rows)
            below = lost


def _number_sets(keys, n_features):
    """Number the distinct sets of features given as bit sets of 62-bit words.

    Returns
    -------
    set_of : ndarray of shape (n_keys,) int32
        The number of each key's set.
    set_features : sparse matrix of shape (n_sets, n_features)
        The features of each set.
    """
    if keys.shape[1] == 1 and n_features <= 22:  # small sets: the key itself indexes a table
        present = np.zeros(1 << n_features, bool)
        present[keys[:, 0]] = True
        unique = np.flatnonzero(present)[:, None]
        set_of = (np.cumsum(present, dtype=np.int32) - 1)[keys[:, 0]]
    else:  # sorted as words, last word first (np.unique(axis=0) sorts bytes: many times slower)
        order = np.lexsort(keys.T[::-1])
        ordered = keys[order]
        new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
        unique = ordered[new]
        set_of = np.empty(len(keys), np.int32)
        set_of[order] = np.cumsum(new) - 1
    members = (unique[:, np.arange(n_features) // 62] >> (np.arange(n_features) % 62)) & 1
    return set_of, sparse.csr_matrix(members.astype(np.float64))

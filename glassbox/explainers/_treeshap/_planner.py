"""The block planner: how leaf tables merge into blocks, and explaining rows with them."""

from __future__ import annotations

import numpy as np

from ._paths import _Descent
from ._slots import SlotReader
from ._tables import _interventional_tables, _path_dependent_tables, _product_game_tables, _quadrature

_MAX_TABLE_BITS = 12  # a lookup table has at most 2**12 patterns per feature slot
_TABLE_BUDGET = 2**25  # floats of lookup tables per model (256 MiB); beyond, leaves go without
_BUILD_COST = 8.0  # cost of building one table entry, in reads of one table entry
_BUILD_CHUNK = 2**21  # table entries built at once (bounds the memory of construction)
_SINGLE, _PAIR, _OTHER = 0, 1, 2  # kinds of blocks: a leaf, two sibling leaves, any subtree


def _group_rank(groups):
    """Rank of each element among the elements with the same group, in order."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    rank = np.empty(len(groups), np.intp)
    rank[order] = np.arange(len(groups)) - first
    return rank


def table_bits(d, n_reference, expected_rows, walked=False):
    """Most distinct path features a leaf may have to get a table.

    A leaf table costs about ``d * d * 2**d`` to build; the formulas without tables cost
    a few operations per node and row (path-dependent) or per compatible pair of row
    and background row (interventional). Tables are built when the rows expected to be
    explained pay for them, within a memory budget.

    Parameters
    ----------
    d : ndarray of int
        Distinct path features of each leaf.
    n_reference : int
        Background rows (0: path-dependent).
    expected_rows : int
    walked : bool, default=False
        Interventional: for the leaves of a tree the compatible pairs walk anyway
        (it has a leaf beyond the tables), where a table saves only the leaf's own
        pairs, not the nodes above it: a quarter of the bits' budget (measured on
        forests of unlimited depth: mlc_churn 3.3-3.5 s to 3.1 s, lending_club
        5.5-5.8 s to 5.4-5.5 s, 200 rows against 100).
    """
    rows = max(int(expected_rows), 1)
    factor = 1.0 if walked else 4.0

    def pays_off(bits):
        if n_reference:
            return 2.0**bits * bits * bits <= factor * rows * n_reference
        return 2.0 * 2.0**bits <= rows * bits  # measured: 4.0 left HistGradientBoosting 20% slower

    bits = _MAX_TABLE_BITS
    while bits > 4 and not pays_off(bits):
        bits -= 1
    sizes = d.astype(np.float64) * 2.0 ** np.minimum(d, 63)
    while bits > 0 and sizes[d <= bits].sum() > _TABLE_BUDGET:
        bits -= 1
    return bits


class _Plan:
    """Leaf tables merged into blocks, for the leaves of some trees, built once.

    Parameters
    ----------
    ens : TreeEnsemble
    paths : _Paths
    leaves : ndarray of int
        The leaves explained with tables: every leaf of some trees, none alone in its tree.
    reference : tuple (goes_left, weights) or None
        The router's output for the background rows and their weights
        (interventional), or ``None`` (path-dependent).
    expected_rows : int
        Rows expected to be explained: sets how far tables merge into blocks, trading
        construction time for speed per row.
    expected_value : ndarray of shape (n_outputs,)
        The leaves' share of the base value is added to it.
    """

    def __init__(self, ens, paths, leaves, reference, expected_rows, expected_value):
        self.ens, self.paths, self.expected_value = ens, paths, expected_value
        self.width = ens.value.shape[1]
        self.tree_of = ens.tree_of
        self.expected_rows = max(int(expected_rows), 1)
        self.reference_goes_left = None
        if reference is not None:
            self.reference_goes_left, self.reference_weights = reference
        self._build_blocks(leaves, paths.n_unique[leaves])

    # ---- construction ---------------------------------------------------------------

    def _leaf_tables(self, leaves, d, reference_fail):
        """Tables of some leaves, slot-major and concatenated, and where each starts.

        Also adds the leaves' share of the expected value. With one value per leaf
        (``width == 1``) tables are scaled by it here.
        """
        order = np.argsort(d, kind="stable")  # tables of equal size side by side
        sizes = d[order] * 2 ** d[order]
        base = np.empty(len(leaves), np.intp)
        base[order] = np.r_[0, np.cumsum(sizes)[:-1]]
        tables = np.empty(int(sizes.sum()))
        for n_bits in np.unique(d):
            n_bits = int(n_bits)
            group = order[d[order] == n_bits]
            start = base[group[0]]
            out = tables[start : start + len(group) * n_bits * 2**n_bits].reshape(len(group), n_bits, 2**n_bits)
            self._tables_into(leaves[group], n_bits, None if reference_fail is None else reference_fail[group], out)
        return tables, base

    def _tables_into(self, leaves, n_bits, reference_fail, out):
        """Tables of leaves with ``n_bits`` path features each, written into ``out``.

        ``out``: an array (n_leaves, n_bits, 2**n_bits) or one array (n_leaves,
        2**n_bits) per feature slot. Also adds the leaves' share of the expected
        value; with one value per leaf (``width == 1``) tables are scaled by it.
        """
        value = self.ens.value[leaves]
        scale = value[:, 0] if self.width == 1 else None
        if reference_fail is None:
            ratio = self.paths.ratio[leaves, :n_bits]
            reach = ratio.prod(axis=1)
            if n_bits:
                _path_dependent_tables(ratio, scale, out=out)
        else:
            size = 2**n_bits
            satisfied = ~reference_fail & (size - 1)
            flat = (np.arange(len(leaves))[:, None] * size + satisfied).ravel()
            weights = np.broadcast_to(self.reference_weights, satisfied.shape).ravel()
            reference = np.bincount(flat, weights=weights, minlength=len(leaves) * size).reshape(len(leaves), size)
            reach = reference[:, -1].copy()  # every path feature satisfied: the leaf is reached
            if n_bits:
                if scale is not None:
                    reference *= scale[:, None]  # the tables are linear in the reference
                _interventional_tables(reference, n_bits, out=out)
        np.add.at(self.expected_value, self.ens.tree_columns[self.tree_of[leaves]], value * reach[:, None])

    def _choose_blocks(self, leaves, d):
        """Nodes whose subtree becomes one lookup block.

        Bottom-up, a node merges its children's blocks when both are blocks, its
        index fits in _MAX_TABLE_BITS bits, and building the merged table (about
        ``sum of the leaves' d * 2**bits`` gathers, _BUILD_COST reads each) costs less
        than the reads it saves on the rows expected, within the memory budget.
        """
        paths, ens = self.paths, self.ens
        n = ens.n_nodes
        eligible = np.zeros(n, bool)
        eligible[leaves] = True
        sum_d = np.zeros(n)
        sum_d[leaves] = d
        build = np.zeros(n)
        build[leaves] = d * 2.0**d
        index_bits = paths.n_unique + paths.n_internal
        rows = float(self.expected_rows)
        allowance = _TABLE_BUDGET / max(len(leaves), 1)  # table entries per leaf
        for level in reversed(paths.levels):
            inner = level[ens.left[level] >= 0]
            if len(inner) == 0:
                continue
            left, right = ens.left[inner], ens.right[inner]
            sum_d[inner] = sum_d[left] + sum_d[right]
            children = build[left] + build[right]
            merged = sum_d[inner] * 2.0 ** np.minimum(index_bits[inner], 200)
            # Reads saved per row: the root's path features and its split feature
            # are read once instead of once per child block. Two sibling leaves
            # under a new feature merge by slicing, at no extra cost.
            saved = paths.n_unique[left]
            pair = (paths.n_internal[inner] == 1) & (paths.n_unique[left] > paths.n_unique[inner])
            ok = eligible[left] & eligible[right] & (index_bits[inner] <= _MAX_TABLE_BITS)
            worth = _BUILD_COST * (merged - children) <= rows * saved
            ok &= pair | (worth & (merged <= allowance * (paths.n_internal[inner] + 1)))
            eligible[inner] = ok
            build[inner] = np.where(ok, merged, children)
        parent_eligible = np.zeros(n, bool)
        has_parent = paths.parent >= 0
        parent_eligible[has_parent] = eligible[paths.parent[has_parent]]
        return np.flatnonzero(eligible & ~parent_eligible)

    def _build_blocks(self, leaves, d):
        paths, ens = self.paths, self.ens
        n, p_model = ens.n_nodes, ens.n_model_features
        self.n_slots = self.n_blocks = 0
        if len(leaves) == 0:
            return
        roots = self._choose_blocks(leaves, d)
        block_of = np.full(n, -1, np.intp)
        block_of[roots] = np.arange(len(roots))
        for level in paths.levels[1:]:
            p = paths.parent[level]
            inherit = (block_of[level] < 0) & (block_of[p] >= 0)
            block_of[level[inherit]] = block_of[p[inherit]]
        leaf_block = block_of[leaves]

        # Features of each block: its root's path features, then those met below.
        root_d = paths.n_unique[roots]
        slot_grid = np.arange(paths.features.shape[1])
        new = (slot_grid[None, :] >= root_d[leaf_block][:, None]) & (slot_grid[None, :] < d[:, None])
        keys = (leaf_block[:, None] * p_model + paths.features[leaves])[new]
        unique_keys = np.unique(keys)
        block_d = root_d + np.bincount(unique_keys // p_model, minlength=len(roots))

        # Renumber blocks by decreasing number of features: the blocks having a
        # feature slot j are then a prefix, for every j. Among equals, single leaves,
        # then sibling leaves under a new feature, then the others, by index bits:
        # runs of alike blocks are filled by slicing (see _fill_alike).
        k = paths.n_internal[roots]
        splits_new = paths.n_unique[np.maximum(ens.left[roots], 0)] > root_d
        kind = np.where(k == 0, _SINGLE, np.where((k == 1) & splits_new, _PAIR, _OTHER))
        order = np.lexsort((root_d + k, kind, -block_d))
        renumber = np.empty(len(roots), np.intp)
        renumber[order] = np.arange(len(roots))
        roots, root_d, block_d, kind = roots[order], root_d[order], block_d[order], kind[order]
        block_of = np.where(block_of >= 0, renumber[np.maximum(block_of, 0)], -1)
        leaf_block = renumber[leaf_block]
        # Leaves by block, left before right.
        by_block = np.lexsort((~paths.is_left[leaves], leaf_block))
        leaves, d, leaf_block, new = leaves[by_block], d[by_block], leaf_block[by_block], new[by_block]
        keys = (leaf_block[:, None] * p_model + paths.features[leaves])[new]
        unique_keys = np.sort(renumber[unique_keys // p_model] * p_model + unique_keys % p_model)
        new_rank = _group_rank(unique_keys // p_model)
        n_blocks = len(roots)
        block_slot = np.broadcast_to(slot_grid, new.shape).copy()  # leaf slot -> block slot
        block_slot[new] = root_d[keys // p_model] + new_rank[np.searchsorted(unique_keys, keys)]
        block_features = np.full((n_blocks, max(int(block_d.max(initial=0)), paths.features.shape[1])), -1, np.intp)
        block_features[:, : paths.features.shape[1]] = paths.features[roots]
        block_features[unique_keys // p_model, root_d[unique_keys // p_model] + new_rank] = unique_keys % p_model

        # Internal nodes of each block, numbered 0 .. k-1; padding reads the router's
        # last row, which is always False.
        k = paths.n_internal[roots]
        block_bits = root_d + k
        inner = np.flatnonzero((block_of >= 0) & (ens.left >= 0))
        bpos = np.full(n, -1, np.intp)
        bpos[inner] = _group_rank(block_of[inner])
        k_max = int(k.max(initial=0))
        block_gpos = np.full((n_blocks, k_max), len(paths.internal), np.intp)
        block_gpos[block_of[inner], bpos[inner]] = paths.gpos[inner]

        # Steps of each leaf inside its block: (direction bit, child is left, slot).
        leaf_root = roots[leaf_block]
        node = leaves.copy()
        step_pos, step_left, step_bit = [], [], []
        active = node != leaf_root
        while active.any():
            p = np.where(active, paths.parent[node], node)
            step_pos.append(np.where(active, bpos[p], -1))
            step_left.append(paths.is_left[node].astype(np.intp))
            step_bit.append(np.where(active, paths.bit[node], 0))
            node = p
            active = node != leaf_root

        # Tables per feature slot j, each covering the blocks having slot j; a block's
        # entries sit at the same offset in every one of them.
        size = 2**block_bits
        block_base = np.r_[0, np.cumsum(size)[:-1]].astype(np.intp)
        slot_counts = [int((block_d > j).sum()) for j in range(int(block_d.max(initial=0)))]
        rank_lengths = [int(block_base[c - 1] + size[c - 1]) for c in slot_counts]
        rank_offset = np.r_[0, np.cumsum(rank_lengths)].astype(np.intp)
        self.tables = np.zeros((self.width, int(rank_offset[-1])))
        reference_fail = None
        if self.reference_goes_left is not None:
            reference_fail = _Descent(paths, leaves)(self.reference_goes_left)  # (n_leaves, n_reference)
        leaf_bits = block_bits[leaf_block]
        leaf_k = k[leaf_block]
        steps = (step_pos, step_left, step_bit)
        layout = (rank_offset, block_base, block_slot, leaf_block)
        # Blocks in chunks of bounded work and memory: the tables of their leaves, then
        # the blocks' tables.
        work = np.bincount(leaf_block, weights=d * (2.0**d + 2.0**leaf_bits), minlength=n_blocks)
        chunk_of_block = np.floor(np.cumsum(work) / _BUILD_CHUNK).astype(np.intp)
        first_leaf = np.searchsorted(leaf_block, np.arange(n_blocks + 1))
        direct_pairs = reference_fail is None  # path-dependent pairs skip leaf tables
        for blocks in np.split(np.arange(n_blocks), np.flatnonzero(np.diff(chunk_of_block)) + 1):
            chunk = np.arange(first_leaf[blocks[0]], first_leaf[blocks[-1] + 1])
            # Leaf tables for the leaves of other blocks than single leaves (written
            # in place when there is one value per leaf) and path-dependent pairs.
            tabled = ~((kind[leaf_block[chunk]] == _SINGLE) & (self.width == 1))
            if direct_pairs:
                tabled &= kind[leaf_block[chunk]] != _PAIR
            fail = None if reference_fail is None else reference_fail[chunk[tabled]]
            leaf_tables, base = self._leaf_tables(leaves[chunk[tabled]], d[chunk[tabled]], fail)
            table_base = np.full(len(chunk), -1, np.intp)
            table_base[tabled] = base
            # Runs of consecutive blocks of one kind, number of features and index bits.
            key = np.stack([kind[blocks], block_d[blocks], block_bits[blocks]])
            cuts = np.flatnonzero((key[:, 1:] != key[:, :-1]).any(axis=0)) + 1
            for run in np.split(blocks, cuts):
                run_leaves = np.arange(first_leaf[run[0]], first_leaf[run[-1] + 1])
                local = run_leaves - chunk[0]
                n_bits, n_features = int(block_bits[run[0]]), int(block_d[run[0]])
                if n_features == 0:
                    continue
                if kind[run[0]] == _OTHER:
                    self._fill_any(
                        leaf_tables, table_base[local], leaves, d, run_leaves, leaf_k, leaf_bits, steps, layout
                    )
                elif kind[run[0]] == _PAIR and direct_pairs:
                    self._fill_path_dependent_pairs(leaves[run_leaves], n_features, rank_offset, block_base[run[0]])
                elif kind[run[0]] == _SINGLE and self.width == 1:
                    span = len(run) * 2**n_features
                    slots = [
                        self.tables[0, rank_offset[j] + block_base[run[0]] :][:span].reshape(len(run), -1)
                        for j in range(n_features)
                    ]
                    fail = None if reference_fail is None else reference_fail[run_leaves]
                    self._tables_into(leaves[run_leaves], n_features, fail, slots)
                else:
                    start = table_base[local[0]]
                    stacked = leaf_tables[start : start + len(run_leaves) * n_features * 2**n_features]
                    stacked = stacked.reshape(len(run_leaves), n_features, 2**n_features)
                    self._fill_alike(stacked, kind[run[0]], leaves[run_leaves], rank_offset, block_base[run[0]], n_bits)

        # Explain-time plan.
        self.n_blocks = n_blocks
        self.descent = _Descent(paths, roots)
        self.block_shift = k.astype(np.int16)[:, None]
        # Directions inside the blocks: bit i of a block's index is its i-th internal
        # node's direction. Dense bits are set for all blocks (padding reads an always
        # False row), sparse ones for the blocks having that node only.
        self.direction_steps = []
        for i in range(k_max):
            has = np.flatnonzero(k > i)
            if 2 * len(has) >= n_blocks:
                self.direction_steps.append((i, None, block_gpos[:, i]))
            else:
                self.direction_steps.append((i, has, block_gpos[has, i]))
        self.block_base = block_base[:, None]
        self.n_slots = int(sum(slot_counts))
        ranges = zip(rank_offset[:-1], rank_offset[1:])
        self.slot_tables = [[self.tables[o, lo:hi] for o in range(self.width)] for lo, hi in ranges]
        columns = ens.tree_columns[self.tree_of[roots]]
        self.read = SlotReader(ens, block_features, columns, slot_counts, self.expected_rows)

    def _fill_alike(self, stacked, kind, leaves, rank_offset, base, n_bits):
        """Fill a run of consecutive single-leaf or sibling-pair blocks by slicing.

        ``stacked`` holds the leaves' tables, shape (n_leaves, d, 2**d), in block
        order (left before right). A single leaf's block table is its own table. Two
        sibling leaves under a new feature (their last slot) make a block indexed by
        ``2 * parent fail pattern + goes left``: going left, the left leaf sees the
        parent's pattern and the right one the same with the new feature failed, and
        the other way round going right.
        """
        n_leaves, n_features, size = stacked.shape
        n_blocks = n_leaves if kind == _SINGLE else n_leaves // 2
        span = n_blocks * 2**n_bits
        for o in range(self.width):
            tables = stacked
            if self.width > 1:
                tables = stacked * self.ens.value[leaves, o][:, None, None]
            for j in range(n_features):
                start = rank_offset[j] + base
                slot = self.tables[o, start : start + span].reshape(n_blocks, -1)
                if kind == _PAIR:  # merged straight into the slot
                    half = size // 2
                    pair = tables.reshape(n_blocks, 2, n_features, size)
                    left, right, merged = pair[:, 0, j], pair[:, 1, j], slot.reshape(n_blocks, half, 2)
                    np.add(left[:, :half], right[:, half:], out=merged[..., 1])
                    np.add(left[:, half:], right[:, :half], out=merged[..., 0])
                else:
                    np.copyto(slot, tables[:, j])

    def _fill_path_dependent_pairs(self, leaves, n_features, rank_offset, base):
        """Path-dependent tables of a run of sibling-pair blocks, without leaf tables.

        ``leaves`` alternate left and right children of parents with ``m`` path
        features; the split feature is new, slot ``m = n_features - 1`` of both
        leaves. Both leaves share the parent's product of factors ``P(U, t)`` (see
        :func:`_path_dependent_tables`) and differ only in the factor of the new
        feature, so the block table (index ``2 * U + goes left``) is one product with
        the two leaves' factors and values combined per direction.
        """
        ens, m = self.ens, n_features - 1
        left, right = leaves[0::2], leaves[1::2]
        n_blocks = len(left)
        ratio = self.paths.ratio[left, :m]  # the parent's features: shared
        rho_left, rho_right = self.paths.ratio[left, m], self.paths.ratio[right, m]
        value_left, value_right = ens.value[left], ens.value[right]
        for leaf, value in ((left, value_left), (right, value_right)):
            reach = self.paths.ratio[leaf, : m + 1].prod(axis=1)
            np.add.at(self.expected_value, ens.tree_columns[self.tree_of[leaf]], value * reach[:, None])
        t, w = _quadrature((n_features + 1) // 2)
        r = ratio[:, None, :]  # (n_blocks, 1, m)
        satisfied = r + t[None, :, None] * (1.0 - r)  # (n_blocks, Q, m)
        failed = r * (1.0 - t)[None, :, None]
        gain = w[None, :, None] * (1.0 - r) / satisfied  # (n_blocks, Q, m)
        loss = np.broadcast_to((-w / (1.0 - t))[None, :, None], gain.shape)

        def factors(rho):  # the new feature's factor when satisfied / failed, (n_blocks, Q)
            return rho[:, None] + t * (1.0 - rho[:, None]), rho[:, None] * (1.0 - t)

        (sat_left, fail_left), (sat_right, fail_right) = factors(rho_left), factors(rho_right)
        # mass[U]: integral of the parent's product
        mass = np.empty((n_blocks, 2**m))
        weight = np.broadcast_to(w[None, :, None], (n_blocks, len(t), 1))
        _product_game_tables(satisfied, failed, weight, weight, [0], [mass])
        span = n_blocks * 2**n_features
        for o in range(self.width):
            # Slot j of every block of the run, written in place: (n_blocks, 2**m, 2).
            slots = [
                self.tables[o, rank_offset[j] + base : rank_offset[j] + base + span].reshape(n_blocks, 2**m, 2)
                for j in range(n_features)
            ]
            vl, vr = value_left[:, o, None], value_right[:, o, None]
            # Index bit 0 is the direction, a factor mixing the two leaves: going right
            # (0) the left leaf fails the new feature, going left (1) the right one.
            # Index bit j + 1 is parent feature j.
            direction = np.stack([vl * fail_left + vr * sat_right, vl * sat_left + vr * fail_right], axis=2)
            _product_game_tables(
                np.concatenate([direction[:, :, :1], satisfied], axis=2),
                np.concatenate([direction[:, :, 1:], failed], axis=2),
                gain,
                loss,
                range(1, m + 1),
                [slot.reshape(n_blocks, -1) for slot in slots[:m]],
            )
            # The new feature's value per direction, per unit of mass.
            np.multiply(mass, (-vl * rho_left[:, None] + vr * (1.0 - rho_right[:, None])), out=slots[m][..., 0])
            np.multiply(mass, (vl * (1.0 - rho_left[:, None]) - vr * rho_right[:, None]), out=slots[m][..., 1])

    def _fill_any(self, leaf_tables, table_base, leaves, d, run, leaf_k, leaf_bits, steps, layout):
        """Add the leaves ``run`` to their blocks' tables, re-indexing each leaf table.

        A block's index is its root's fail pattern followed by the directions at its
        internal nodes; the leaf's fail pattern for each index is the root's pattern
        plus the features the leaf's path fails inside the block.
        """
        step_pos, step_left, step_bit = steps
        rank_offset, block_base, block_slot, leaf_block = layout
        for n_bits in np.unique(leaf_bits[run]):
            for leaf_d in np.unique(d[run][leaf_bits[run] == n_bits]):
                if leaf_d == 0:
                    continue
                here = np.flatnonzero((leaf_bits[run] == n_bits) & (d[run] == leaf_d))
                group = run[here]
                index = np.arange(2**n_bits)
                pattern = index[None, :] >> leaf_k[group][:, None]  # the root's fail pattern
                for pos, left, bit in zip(step_pos, step_left, step_bit):
                    pos = pos[group][:, None]
                    wrong = (((index[None, :] >> np.maximum(pos, 0)) & 1) ^ left[group][:, None]) & (pos >= 0)
                    pattern |= wrong << bit[group][:, None]
                source = table_base[here][:, None] + np.arange(leaf_d) * 2**leaf_d  # (n_group, leaf_d)
                gathered = leaf_tables[source[:, :, None] + pattern[:, None, :]].ravel()
                target = rank_offset[block_slot[group, :leaf_d]] + block_base[leaf_block[group]][:, None]
                target = (target[:, :, None] + index).ravel()  # add.at is fastest on 1-d
                if self.width == 1:
                    np.add.at(self.tables[0], target, gathered)
                else:
                    for o in range(self.width):
                        scale = np.repeat(self.ens.value[leaves[group], o], gathered.size // len(group))
                        np.add.at(self.tables[o], target, gathered * scale)

    # ---- explaining ----------------------------------------------------------------

    def cells_per_row(self):
        """Floats of work arrays per explained row."""
        return 3 * self.width * self.n_blocks + len(self.paths.internal) // 4 + 1

    def __call__(self, goes_left):
        """Values of the rows, shape (n_model_features * n_outputs, n_rows)."""
        ens = self.ens
        n_rows = goes_left.shape[1]
        phi = np.zeros((ens.n_model_features * ens.n_outputs, n_rows))
        if self.n_slots:
            local = np.left_shift(self.descent(goes_left), self.block_shift)  # (n_blocks, n_rows) int16
            for i, blocks, gpos in self.direction_steps:
                bit = np.left_shift(goes_left[gpos].view(np.int8), i, dtype=np.int16)
                if blocks is None:
                    local |= bit
                else:
                    local[blocks] |= bit
            self.read(self.slot_tables, np.add(local, self.block_base, dtype=np.intp), phi)
        return phi

"""The search for a rule list: candidate conditions as sets of bins, beam search, local search.

The candidates are single-column conditions held as sets of bins
(:mod:`._rule_candidates`): with ``B`` the one-hot bin of every training cell and ``A``
the bins each condition holds on, their truth values are ``C = B @ A``.
The class counts of every rule of one or two conditions come from matrix products,
with no loop over rows or candidates:

- one condition: ``C.T @ W = A.T @ (B.T @ W)``, with ``W`` of shape
  ``(n_samples, n_classes)`` the weighted one-hot target of the rows no rule captures
  yet (``B.T @ W`` is a histogram per bin);
- two conditions, class ``k``: ``C.T @ (W[:, k, None] * C) = A.T @ H_k @ A``, with
  ``H_k = B.T @ (W[:, k, None] * B)`` the joint histogram of every pair of bins, of
  shape ``(n_bins, n_bins)``, updated as rules capture rows. The columns of ``A`` are
  runs of bins, so a product with ``A`` is a difference of cumulative sums.

A rule's score is the gain in log-likelihood (cross-entropy) of the whole list when it
is placed before the default rule, each rule predicting the class frequencies of the
rows it captures. The list found by the beam search is then improved by local search
on the same likelihood: a rule inserted at any position, or put in place of another,
changes only which rule captures the rows reaching that position, so every candidate
is scored from one histogram per following rule.
"""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

__all__ = ["_RuleListSearch"]

# While the list grows, the log-likelihood of the rows a candidate rule leaves to later
# rules is counted with this weight: the captured rows are final, the rest will still be
# split. At 1 the search is purely greedy and takes large impure rules early.
_REST_WEIGHT = 0.8
# Sweeps of local search on the finished list (fill, replace, swap: see _refine).
_REFINE_SWEEPS = 2
# Rules the swap step of the local search tries to drop (those that matter least).
_N_SWAPS = 2
# Shorter rules extended by one condition, and best rules kept per level, at least.
_N_SEEDS = 8
# Most cells (classes x bins x bins) of the joint bin histogram; past it, rules of two
# conditions are grown from the best single conditions instead of scored exhaustively.
_MAX_PAIR_CELLS = 2**25
# Relative tolerance below which two weighted counts are equal.
_RTOL = 1e-9


def _first_true(holds, n_rules, n_samples):
    """Column of the first True of each row of ``holds`` (n_samples, n_rules), or
    ``n_rules`` (the default rule) when there is none."""
    if n_rules == 0:
        return np.zeros(n_samples, dtype=np.intp)
    return np.argmax(np.column_stack([holds, np.ones(n_samples, dtype=bool)]), axis=1)


def _log_likelihood(counts):
    """``sum_k c_k log(c_k / sum(c))`` over the last axis: the log-likelihood of a group
    with weighted class counts ``c`` under its own class frequencies."""
    total = counts.sum(axis=-1)
    return xlogy(counts, counts).sum(axis=-1) - xlogy(total, total)


def _split_gain(captured, parent, rest_weight=1.0):
    """Gain in log-likelihood from splitting a group with class counts ``parent`` (K,)
    into the rows a rule captures (``captured``, shape (..., K)) and the rest, whose
    log-likelihood counts with weight ``rest_weight``."""
    rest = _log_likelihood(parent - captured) - _log_likelihood(parent)
    return _log_likelihood(captured) + rest_weight * rest


def _xlogx32(x):
    """``x log x`` in float32 (0 at 0): precise enough to rank all pairs, and fast."""
    x = np.asarray(x, dtype=np.float32)
    return x * np.log(np.maximum(x, np.float32(1e-30)))


def _top(scores, k):
    """Indices of the ``k`` largest finite scores, best first."""
    finite = np.flatnonzero(np.isfinite(scores))
    if len(finite) > k:
        finite = finite[np.argpartition(-scores[finite], k - 1)[:k]]
    return finite[np.argsort(-scores[finite], kind="stable")]


def _distinct_best(candidates, k):
    """The ``k`` best ``(score, support, rule)`` candidates, one per (score, support):
    such rules capture the same rows. Among equal scores, fewer conditions and then the
    smaller support (the more specific rule) come first."""
    out, seen = [], set()
    for candidate in sorted(candidates, key=lambda c: (-c[0], len(c[2]), c[1], c[2])):
        key = (round(float(candidate[0]), 6), round(float(candidate[1]), 6))
        if key not in seen:
            seen.add(key)
            out.append(candidate)
            if len(out) == k:
                break
    return out


class _State:
    """A partial rule list in the beam."""

    def __init__(self, rules, uncovered, loglik, score, pair_hist):
        self.rules = rules  # tuple of rules, each a sorted tuple of candidate indices
        self.uncovered = uncovered  # (n,) bool: rows no rule captures
        self.loglik = loglik  # training log-likelihood of the list
        self.score = score  # the same with the uncovered rows weighted by _REST_WEIGHT
        self.pair_hist = pair_hist  # (K, n_bins, n_bins) over the uncovered rows, or None


class _RuleListSearch:
    """Beam search for a rule list on a candidate space, then local search."""

    def __init__(self, space, labels, weight, n_classes, *, max_rules, max_conditions, min_support, beam_width,
                 max_complexity=None):
        self.space = space
        self.labels = labels  # (n,) class index
        self.weight = weight  # (n,)
        self.n_classes = n_classes
        self.target = np.zeros((len(labels), n_classes))  # (n, K) weighted one-hot: W
        self.target[np.arange(len(labels)), labels] = weight
        self.max_rules = max_rules
        self.max_conditions = max_conditions
        self.min_support = min_support
        self.beam_width = beam_width
        # The budget of conditions over all rules; when it binds, the beam is indexed by
        # the conditions a partial list uses and each rule's length is chosen.
        self.budget = max_rules * max_conditions if max_complexity is None else min(max_complexity, max_rules * max_conditions)
        self.budgeted = self.budget < max_rules * max_conditions
        self.hist_weight = None if np.all(weight == 1.0) else weight  # None: unweighted counts
        self.n_seeds = max(_N_SEEDS, beam_width)
        self._holds = {}  # rule -> whether each training row satisfies it
        self._xlogx_table = None  # c log c of every whole count up to n_samples
        self.exhaustive_pairs = max_conditions >= 2 and n_classes * space.n_bins**2 <= _MAX_PAIR_CELLS

    # -- shared counting -------------------------------------------------------------
    def _xlogx(self, counts):
        """``c log c`` (0 at 0) of weighted counts; of whole counts (no ``sample_weight``)
        read from a table, several times faster than the logarithm and equal to it."""
        if self.hist_weight is not None:
            return xlogy(counts, counts)
        if self._xlogx_table is None:
            whole = np.arange(len(self.labels) + 1, dtype=np.float64)
            self._xlogx_table = xlogy(whole, whole)
        return self._xlogx_table[counts.astype(np.intp)]

    def first_firing(self, rules, rows=None):
        """Position of the first of ``rules`` each training row satisfies (``len(rules)``
        for none), for all rows or the positions ``rows``."""
        n = len(self.labels) if rows is None else len(rows)
        if not rules:
            return np.zeros(n, dtype=np.intp)
        holds = np.column_stack([self.rule_holds(rule) for rule in rules])  # (n_samples, n_rules)
        return _first_true(holds if rows is None else holds[rows], len(rules), n)

    def rule_holds(self, rule):
        """Whether each training row satisfies ``rule``, cached."""
        if rule not in self._holds:
            if len(self._holds) > 4096:
                self._holds.clear()
            self._holds[rule] = self.space.rule_holds(rule)
        return self._holds[rule]

    def cell_counts(self, cell, n_cells, rows=None):
        """Weighted class counts of the rows in each cell, shape (n_cells, K)."""
        rows = np.arange(len(self.labels)) if rows is None else rows
        index = cell * self.n_classes + self.labels[rows]
        return np.bincount(index, self.weight[rows], minlength=n_cells * self.n_classes).reshape(n_cells, -1)

    def _supported(self, support, n_parent):
        """Whether a rule capturing ``support`` of ``n_parent`` leaves enough on both sides."""
        return (support >= self.min_support) & (n_parent - support >= self.min_support)

    # -- beam search -----------------------------------------------------------------
    def run(self):
        """The rules of the best list found, each a tuple of candidate indices.

        The beam search, then local search within the budgets. Under a binding budget
        of conditions the beam search also runs with rules of one condition only (as
        many as the budget allows), that list is improved by the same local search, and
        the more likely of the two is kept.
        """
        starts = [self._beam()]
        if self.budgeted:
            single = _RuleListSearch(self.space, self.labels, self.weight, self.n_classes,
                                     max_rules=min(self.max_rules, self.budget), max_conditions=1,
                                     min_support=self.min_support, beam_width=self.beam_width)
            single._holds = self._holds  # the same rows satisfy the same rules
            starts.append(single._beam())
        best, best_loglik = None, -np.inf
        for rules in starts:
            for _ in range(_REFINE_SWEEPS):
                rules, changed = self._refine(rules)
                if not changed:
                    break
            loglik = self._loglik(rules)
            if best is None or loglik > best_loglik + _RTOL * abs(best_loglik):
                best, best_loglik = rules, loglik
        return best

    def _beam(self):
        """The rules of the best list the beam search finds.

        The beam holds the ``beam_width`` best partial lists of each size: the number of
        rules, or the number of conditions when the budget of conditions binds (then a
        rule of one condition and one of two extend a list to different sizes, and each
        is compared with lists of its own size).
        """
        n = len(self.labels)
        pair_hist = None
        if self.exhaustive_pairs:
            pair_hist = self.space.pair_histogram(np.arange(n), self.labels, self.hist_weight, self.n_classes)
        loglik = float(_log_likelihood(self.target.sum(axis=0)))
        beam = [_State((), np.ones(n, dtype=bool), loglik, _REST_WEIGHT * loglik, pair_hist)]
        best, children = beam[0], {}  # children: size -> [(score, gain, parent, rule)]
        for size in range(self.budget if self.budgeted else self.max_rules):
            if size > 0:
                beam = self._select(children.pop(size, []))
            for state in beam:
                best = max(best, state, key=lambda state: state.loglik)
                if len(state.rules) == self.max_rules:
                    continue
                for score, gain, rule in self._best_rules(state, size):
                    step = len(rule) if self.budgeted else 1
                    children.setdefault(size + step, []).append((state.score + score, gain, state, rule))
        for _, gain, state, rule in (child for key in sorted(children) for child in children[key]):
            if state.loglik + gain > best.loglik:  # complete lists: nothing splits the rows left
                best = _State(state.rules + (rule,), None, state.loglik + gain, None, None)
        return list(best.rules)

    def _select(self, children):
        """The ``beam_width`` best children ``(score, gain, parent, rule)``, extended."""
        beam, seen = [], set()
        for score, gain, state, rule in sorted(children, key=lambda child: -child[0]):
            if round(score, 6) in seen:  # lists that split the rows alike score alike
                continue
            seen.add(round(score, 6))
            beam.append(self._extend(state, rule, gain, score))
            if len(beam) == self.beam_width:
                break
        return beam

    def _rest_weight(self, state, size, length):
        """Weight of the rows left by a rule of ``length`` conditions appended to
        ``state`` (of ``size``): 1 when no rule can follow it."""
        last = len(state.rules) + 1 == self.max_rules or (self.budgeted and size + length >= self.budget)
        return 1.0 if last else _REST_WEIGHT

    def _extend(self, state, rule, gain, score):
        rows = np.flatnonzero(state.uncovered)
        captured = rows[self.space.rule_holds(rule, rows)]
        uncovered = state.uncovered.copy()
        uncovered[captured] = False
        pair_hist = None
        if state.pair_hist is not None and len(state.rules) + 1 < self.max_rules:
            pair_hist = state.pair_hist - self.space.pair_histogram(captured, self.labels, self.hist_weight, self.n_classes)
        return _State(state.rules + (rule,), uncovered, state.loglik + gain, score, pair_hist)

    def _best_rules(self, state, size):
        """The best rules to append to ``state`` (of ``size``), as (score, gain, rule):
        the gain in log-likelihood with the rows left weighted by ``_rest_weight``, and
        the plain gain. The ``beam_width`` best of each length when the budget of
        conditions binds, else the ``beam_width`` best."""
        space = self.space
        longest = min(self.max_conditions, self.budget - size) if self.budgeted else self.max_conditions
        rows = np.flatnonzero(state.uncovered)
        group = np.where(state.uncovered, 0, -1)
        hist = space.histogram(group, self.labels, self.hist_weight, 1, self.n_classes)[:, 0]  # (n_bins, K) = B.T @ W
        parent = self.target[rows].sum(axis=0)  # (K,)
        counts = space.condition_counts(hist)  # (m, K) = C.T @ W
        support = counts.sum(axis=1)
        rest_weight = self._rest_weight(state, size, 1)
        gain = np.where(self._supported(support, parent.sum()), _split_gain(counts, parent, rest_weight), -np.inf)
        level = [(gain[i], support[i], (int(i),)) for i in _top(gain, self.n_seeds)]
        found = [level]
        for length in range(2, longest + 1):
            rest_weight = self._rest_weight(state, size, length)
            if length == 2 and self.exhaustive_pairs and state.pair_hist is not None:
                level = self._best_pairs(state, hist, parent, support, rest_weight)
            else:
                grown = [g for *_, rule in level for g in self._grow(rule, rows, parent, rest_weight)]
                level = _distinct_best(grown, self.n_seeds)
            found.append(level)
        if not self.budgeted:
            found = [_distinct_best([c for level in found for c in level], self.n_seeds)]
        out = []
        for level in found:
            options = []
            for *_, rule in level:
                captured = self.target[rows[space.rule_holds(rule, rows)]].sum(axis=0)  # exact, float64
                plain = float(_split_gain(captured, parent))
                if plain > _RTOL * max(parent.sum(), 1.0):
                    score = float(_split_gain(captured, parent, self._rest_weight(state, size, len(rule))))
                    options.append((score, plain, rule, captured.sum()))
            options.sort(key=lambda option: (-round(option[0], 9), len(option[2]), option[3], option[2]))
            out += [option[:3] for option in options[: self.beam_width]]
        return out

    def _grow(self, rule, rows, parent, rest_weight):
        """The best rules of ``rule`` and one more condition, every condition scored."""
        space = self.space
        rows = rows[space.rule_holds(rule, rows)]
        group = np.full(len(self.labels), -1)
        group[rows] = 0
        counts = space.condition_counts(space.histogram(group, self.labels, self.hist_weight, 1, self.n_classes)[:, 0])
        support = counts.sum(axis=1)
        valid = self._supported(support, parent.sum()) & (support < self.weight[rows].sum() * (1 - _RTOL))
        valid[list(rule)] = False
        gain = np.where(valid, _split_gain(counts, parent, rest_weight), -np.inf)
        return [(gain[i], support[i], tuple(sorted(rule + (int(i),)))) for i in _top(gain, self.n_seeds)]

    def _best_pairs(self, state, hist, parent, support1, rest_weight):
        """The best rules of two conditions, every pair scored at once (in float32; the
        caller rescores the best exactly)."""
        n_parent = parent.sum()
        parent_rest = _xlogx32(parent).sum() - _xlogx32(n_parent)
        best = []
        for start, stop, counts in self.space.pair_count_blocks(state.pair_hist, hist):
            captured = _xlogx32(counts).sum(axis=0)  # (stop, block)
            rest = _xlogx32(parent[:, None, None] - counts).sum(axis=0)
            support = counts.sum(axis=0)
            score = captured - _xlogx32(support) + rest_weight * (rest - _xlogx32(n_parent - support) - parent_rest)
            tolerance = 1 - 1e-6  # float32 counts
            valid = self._supported(support, n_parent)
            valid &= np.arange(stop)[:, None] < np.arange(start, stop)[None, :]  # each pair once
            valid &= support < support1[:stop, None] * tolerance  # more than condition j alone
            valid &= support < support1[None, start:stop] * tolerance  # more than condition i alone
            score = np.where(valid, score, -np.inf).ravel()
            for flat in _top(score, self.n_seeds):
                j, i = divmod(int(flat), stop - start)
                best.append((score[flat], support[j, i], (j, start + i)))
        return _distinct_best(best, self.n_seeds)

    # -- coordinate ascent -------------------------------------------------------------
    def _refine(self, rules):
        """One sweep of local search on the log-likelihood of the whole list.

        Fill: while the list is shorter than ``max_rules`` and within the budget of
        conditions, insert the best rule at the best position. Replace: put in place of
        each rule the best rule given the others (no longer than the budget allows).
        Swap: drop one of the ``_N_SWAPS`` rules that matter least when its removal,
        followed by filling, increases the likelihood. Rules left capturing no weight are
        dropped. Returns the new rules and whether anything changed.
        """
        rules, changed = self._fill(rules)
        position = 0
        while position < len(rules):
            longest = len(rules[position]) + self._free(rules)
            _, rule = self._best_rule_at(rules, position, insert=False, longest=longest)
            if rule is not None:
                rules, changed = self._alive(rules[:position] + [rule] + rules[position + 1 :]), True
            position += 1
        if len(rules) == self.max_rules or self._free(rules) == 0:
            loglik = self._loglik(rules)
            without = [self._alive(rules[:drop] + rules[drop + 1 :]) for drop in range(len(rules))]
            losses = [self._loglik(fewer) for fewer in without]
            for drop in np.argsort(losses)[::-1][:_N_SWAPS]:  # the rules that matter least first
                filled, grew = self._fill(without[drop])
                if grew and self._loglik(filled) > loglik + _RTOL * abs(loglik):
                    rules, changed = filled, True
                    break
        return rules, changed

    def _free(self, rules):
        """Conditions the budget leaves to ``rules``."""
        return self.budget - sum(len(rule) for rule in rules)

    def _fill(self, rules):
        """``rules`` with the best insertions while ``max_rules`` and the budget allow
        (under a binding budget, the best gain per condition), and whether any was made."""
        grew = False
        while len(rules) < self.max_rules and self._free(rules) > 0:
            position, rule = self._best_insertion(rules)
            if rule is None:
                break
            rules, grew = self._alive(rules[:position] + [rule] + rules[position:]), True
        return rules, grew

    def _best_insertion(self, rules):
        """``(position, rule)`` of the best rule to insert anywhere in ``rules``."""
        longest = self._free(rules)
        first = self.first_firing(rules)
        options = [self._best_rule_at(rules, position, insert=True, longest=longest, first=first)
                   for position in range(len(rules) + 1)]
        position = int(np.argmax([gain for gain, _ in options]))
        return position, options[position][1]

    def _loglik(self, rules):
        """Training log-likelihood of the list ``rules``."""
        first = self.first_firing(rules)
        return float(_log_likelihood(self.cell_counts(first, len(rules) + 1)).sum())

    def _alive(self, rules):
        """``rules`` without those that capture no training weight."""
        alive = np.bincount(self.first_firing(rules), self.weight, minlength=len(rules) + 1)[:-1] > 0
        return [rule for rule, keep in zip(rules, alive) if keep]

    def _best_rule_at(self, rules, position, *, insert, longest, first=None):
        """The rule of at most ``longest`` conditions to insert at ``position`` (or to
        put in place of the rule there) that most increases the log-likelihood of the
        whole list, and the increase; ``(0.0, None)`` when no rule does. An inserted
        rule under a binding budget of conditions is the one of best increase per
        condition, and that increase per condition is returned.

        A row reaching ``position`` that the new rule does not capture goes to the first
        of the following rules it satisfies, which does not depend on the new rule. So,
        with ``cell`` that following rule (or the default) for each row, the class counts
        of every cell for every candidate come from one histogram per cell:
        ``counts(cell) - counts(cell and candidate)``.
        """
        space = self.space
        first = self.first_firing(rules) if first is None else first
        reach = np.flatnonzero(first >= position)  # rows reaching the position
        following = rules[position:] if insert else rules[position + 1 :]
        # The first following rule of a row reaching the position is its first rule, but
        # for the rows the replaced rule captured.
        cell = first[reach] - (position if insert else position + 1)  # (n_reach,)
        if not insert:
            captured = np.flatnonzero(cell < 0)
            cell[captured] = self.first_firing(following, reach[captured])
        n_cells = len(following) + 1  # the following rules and the default
        totals = self.cell_counts(cell, n_cells, reach)  # (n_cells, K)

        def loglik(captured):
            """Log-likelihood of the list from ``position`` on, for candidates capturing
            ``captured`` (n_cells, K, ...) of each cell; -inf where a rule would capture
            too little or leave a following rule too little (nothing is allowed: it is
            then dropped). Cells and classes lead, so the sums run over whole arrays."""
            rest = totals.reshape(totals.shape + (1,) * (captured.ndim - 2)) - captured
            by_class = captured.sum(axis=0)  # (K, ...)
            support, rest_support = by_class.sum(axis=0), rest.sum(axis=1)  # (...), (n_cells, ...)
            valid = (support >= self.min_support) & (rest_support[-1] >= self.min_support)
            valid &= ((rest_support >= self.min_support) | (rest_support <= _RTOL * self.min_support)).all(axis=0)
            value = self._xlogx(by_class).sum(axis=0) - self._xlogx(support)
            value += self._xlogx(rest).sum(axis=(0, 1)) - self._xlogx(rest_support).sum(axis=0)
            return np.where(valid, value, -np.inf), support

        def extended(rule):
            """Counts per cell and class of ``rule`` and each condition: (n_cells, K, m)."""
            group = np.full(len(self.labels), -1)
            inside = space.rule_holds(rule, reach)
            group[reach[inside]] = cell[inside]
            hist = space.histogram(group, self.labels, self.hist_weight, n_cells, self.n_classes)
            counts = space.condition_counts(hist.reshape(space.n_bins, -1))  # (m, n_cells * K)
            return np.ascontiguousarray(counts.T).reshape(n_cells, self.n_classes, -1)

        if insert:
            current = float(_log_likelihood(totals).sum())
        else:
            inside = space.rule_holds(rules[position], reach)
            current = float(loglik(self.cell_counts(cell[inside], n_cells, reach[inside])[:, :, None])[0][0])
        threshold = current + 1e-9 * max(1.0, abs(current))
        best_gain, best_rule = 0.0, None
        per_condition = insert and self.budgeted
        value, support = loglik(extended(()))
        level = [(value[i], support[i], (int(i),)) for i in _top(value, self.n_seeds)]
        for size in range(1, min(self.max_conditions, longest) + 1):
            if size > 1:
                grown = []
                for _, rule_support, rule in level:
                    value, support = loglik(extended(rule))
                    value = np.where(support < rule_support * (1 - _RTOL), value, -np.inf)
                    value[list(rule)] = -np.inf
                    grown += [(value[i], support[i], tuple(sorted(rule + (int(i),)))) for i in _top(value, self.n_seeds)]
                level = _distinct_best(grown, self.n_seeds)
            for value, _, rule in level:
                gain = (float(value) - current) / (size if per_condition else 1)
                if value > threshold and gain > best_gain:
                    best_gain, best_rule = gain, rule
        if best_rule is None or (not insert and best_rule == rules[position]):
            return 0.0, None
        return best_gain, best_rule

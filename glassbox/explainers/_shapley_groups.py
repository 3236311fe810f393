"""The players of a Shapley game over groups of columns.

With ``groups={"name": [columns], ...}`` the players of the game are the groups, then
every column in no group, each on its own. A coalition of players is turned into a
coalition of columns where it is evaluated: a column is kept when its player is, so
exact enumeration, Kernel SHAP and permutation sampling run on the players unchanged
and only the masks they hand to :func:`~glassbox._core.masked_predict` are widened.
TreeSHAP credits each split to the player of its column (``players`` of
:class:`~glassbox.explainers._treeshap.TreeShap`), and the linear closed form, whose
game is additive, sums the values of a group's columns (:meth:`Players.fold`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._shapley_designs import exact_design

__all__ = ["Players", "owen_design"]


class Players:
    """Who the players are and which columns each one holds.

    Parameters
    ----------
    groups : dict or None
        Group name (a string) to a list of columns (names, or positions among the
        columns of ``X``). ``None`` or empty: every column is a player of its own.
    schema : FeatureSchema
        The columns of ``X``.

    Attributes
    ----------
    names : ndarray of object of shape (n_players,)
        Group names in the order given, then the columns in no group in their order.
    owner : ndarray of int of shape (n_columns,)
        The player each column belongs to.
    members : list of ndarray of int
        The columns of each player, in the order they were named.
    hierarchy : list or None
        With groups of groups, the players' tree: nested lists of player numbers, the
        top level holding the unions (and every player in none); ``None`` otherwise.
    """

    def __init__(self, groups, schema):
        columns = np.asarray(schema.feature_names, dtype=object)
        n_columns = len(columns)
        self.hierarchy = None
        if groups is None or (isinstance(groups, Mapping) and not groups):
            self.names = columns.copy()
            self.members = [np.array([j]) for j in range(n_columns)]
            self.owner = np.arange(n_columns)
            self.grouped = False
            return
        if not isinstance(groups, Mapping):
            raise ValueError(
                f"groups must be a dict of group name to a list of columns; got {type(groups).__name__}."
            )
        owner = np.full(n_columns, -1)
        names, members, places = [], [], []

        def add(level, where):
            """The players of one level of ``groups``, as a tree of their numbers."""
            tree = []
            for name, group in level.items():
                here = f"{where}[{name!r}]"
                if not isinstance(name, str):
                    raise ValueError(f"groups needs string group names (they name the players); got {name!r}.")
                if isinstance(group, Mapping):  # a union of groups: Owen values
                    if not group:
                        raise ValueError(f"{here} is empty; a union of groups needs at least one group.")
                    tree.append(add(group, here))
                    continue
                if isinstance(group, (str, bytes)) or not hasattr(group, "__iter__"):
                    raise ValueError(
                        f"{here} must be a list of columns (or a dict of groups); got {group!r}. Write "
                        f"[{group!r}] for one column."
                    )
                index = [schema.index_of(key, context=f" (in {here})") for key in group]
                if not index:
                    raise ValueError(f"{here} is empty; a group needs at least one column.")
                twice = sorted({columns[j] for j in index if index.count(j) > 1})
                if twice:
                    raise ValueError(f"{here} names the column(s) {twice} more than once.")
                taken = [j for j in index if owner[j] >= 0]
                if taken:
                    j = taken[0]
                    raise ValueError(
                        f"groups overlap: column {columns[j]!r} is in both {places[owner[j]]} and {here}; "
                        "each column may belong to one group only."
                    )
                clash = np.flatnonzero(columns == name)
                if (len(clash) and clash[0] not in index) or name in names:
                    raise ValueError(
                        f"Group name {name!r} of {here} is also the name of "
                        + ("another group" if name in names else "a column of X that is not in it")
                        + "; the players would share a name. Rename the group"
                        + ("." if name in names else " (or put the column in it).")
                    )
                owner[index] = len(names)
                tree.append(len(names))
                names.append(name)
                members.append(np.asarray(index))
                places.append(here)
            return tree

        tree = add(groups, "groups")
        for j in np.flatnonzero(owner < 0):  # columns in no group: players of their own
            owner[j] = len(names)
            tree.append(len(names))
            names.append(columns[j])
            members.append(np.array([j]))
        self.names = np.asarray(names, dtype=object)
        self.members = members
        self.owner = owner
        self.grouped = True
        self.hierarchy = tree if any(isinstance(node, list) for node in tree) else None

    def method(self, method, n_samples):
        """The Shapley method of these players: with a hierarchy (Owen values) only
        enumeration, permutation sampling and the linear closed form apply."""
        if self.hierarchy is None or method in ("exact", "permutation", "linear"):
            return method
        if method == "auto":
            budget = 2 * self.n_players + 2048 if n_samples == "auto" else int(n_samples)
            return "exact" if 2**self.n_players - 2 <= budget else "permutation"
        raise ValueError(
            f"groups holding groups (a dict within the dict) ask for Owen values, which method='exact', "
            f"'permutation' and 'linear' compute; got method={method!r}. Use one of them, or flat groups."
        )

    def exact_design(self):
        """The coalitions and weights of exact enumeration: Shapley's, or Owen's with a hierarchy."""
        if self.hierarchy is None:
            return exact_design(self.n_players)
        return owen_design(self.hierarchy, self.n_players)

    @property
    def n_players(self) -> int:
        return len(self.names)

    def column_masks(self, masks):
        """Coalitions of players (..., n_players) as coalitions of columns (..., n_columns)."""
        if not self.grouped:
            return masks
        return np.asarray(masks)[..., self.owner]

    def fold(self, values):
        """Values of the columns (n, n_columns, n_outputs) summed into their players' (n, n_players, n_outputs):
        the group values of an additive game (a linear model's)."""
        if not self.grouped:
            return values
        membership = np.zeros((len(self.owner), self.n_players))
        membership[np.arange(len(self.owner)), self.owner] = 1.0
        return np.einsum("npo,pq->nqo", values, membership)

    def pad(self, values):
        """Values of the first players (n, k, n_outputs) as those of all (n, n_players, n_outputs), 0 for the
        rest (the players a model never reads, whose columns a Pipeline drops)."""
        out = np.zeros((values.shape[0], self.n_players, values.shape[2]))
        out[:, : values.shape[1]] = values
        return out

    def display(self, data, columns):
        """The explained rows per player: a column's own value, or for a group the text
        ``"column=value, ..."`` of its columns (``data`` as ``FeatureSchema.display``)."""
        if not self.grouped:
            return data
        out = np.empty((len(data), self.n_players), dtype=object)
        for k, index in enumerate(self.members):
            if len(index) == 1 and self.names[k] == columns[index[0]]:
                out[:, k] = data[:, index[0]]
            else:
                out[:, k] = [", ".join(f"{columns[j]}={_text(row[j])}" for j in index) for row in data]
        return out


def _text(value):
    if isinstance(value, (float, np.floating)):
        return "missing" if np.isnan(value) else f"{value:.6g}"
    return str(value)


def _leaves(node):
    return [node] if not isinstance(node, list) else [leaf for child in node for leaf in _leaves(child)]


def owen_design(tree, n_players):
    """Every coalition some player's Owen value weighs, and the weights, by enumeration.

    In the tree, a player's value averages its marginal contribution over the orders
    that keep every union together (Owen 1977; Winter 1989 for deeper trees): at each
    node on its path, the siblings of the branch holding it come before it wholly or not
    at all, ``r`` of ``k`` with Shapley's weight ``r! (k - r - 1)! / k!``, and the
    weights of the levels multiply. Returns the masks (the coalitions between the empty
    and full ones that some player weighs), the weights (n_players, n_masks) and the
    full coalition's weight of each player (:func:`exact_values`).
    """
    p = n_players
    codes = np.arange(2**p)
    masks = ((codes[:, None] >> np.arange(p)) & 1).astype(bool)
    coef = np.zeros((p, 2**p))
    for i in range(p):
        weight = (~masks[:, i]).astype(np.float64)
        node = tree
        while isinstance(node, list):
            k, own = len(node), next(c for c, child in enumerate(node) if i in _leaves(child))
            before = np.zeros(2**p, dtype=np.intp)
            for c, child in enumerate(node):
                if c != own:
                    leaves = _leaves(child)
                    inside, outside = masks[:, leaves].all(axis=1), ~masks[:, leaves].any(axis=1)
                    weight *= inside | outside  # a sibling comes before wholly or not at all
                    before += inside
            factor = np.array([math.factorial(r) * math.factorial(k - r - 1) / math.factorial(k) for r in range(k)])
            weight *= factor[before]
            node = node[own]
        np.add.at(coef[i], codes, -weight)
        np.add.at(coef[i], codes | (1 << i), weight)
    inner = coef[:, 1:-1]
    used = np.abs(inner).sum(axis=0) > 0
    return {"masks": masks[1:-1][used], "weights": inner[:, used], "full": coef[:, -1]}

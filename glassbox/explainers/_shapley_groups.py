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

from collections.abc import Mapping

import numpy as np

__all__ = ["Players"]


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
    """

    def __init__(self, groups, schema):
        columns = np.asarray(schema.feature_names, dtype=object)
        n_columns = len(columns)
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
        names, members = [], []
        for name, group in groups.items():
            where = f"groups[{name!r}]"
            if not isinstance(name, str):
                raise ValueError(f"groups needs string group names (they name the players); got {name!r}.")
            if isinstance(group, (str, bytes)) or not hasattr(group, "__iter__"):
                raise ValueError(f"{where} must be a list of columns; got {group!r}. Write [{group!r}] for one column.")
            index = [schema.index_of(key, context=f" (in {where})") for key in group]
            if not index:
                raise ValueError(f"{where} is empty; a group needs at least one column.")
            twice = sorted({columns[j] for j in index if index.count(j) > 1})
            if twice:
                raise ValueError(f"{where} names the column(s) {twice} more than once.")
            taken = [j for j in index if owner[j] >= 0]
            if taken:
                j = taken[0]
                raise ValueError(
                    f"groups overlap: column {columns[j]!r} is in both groups[{names[owner[j]]!r}] and {where}; "
                    "each column may belong to one group only."
                )
            clash = np.flatnonzero(columns == name)
            if len(clash) and clash[0] not in index:
                raise ValueError(
                    f"Group name {name!r} is also the name of a column of X that is not in it; the players would "
                    "share a name. Rename the group (or put the column in it)."
                )
            owner[index] = len(names)
            names.append(name)
            members.append(np.asarray(index))
        for j in np.flatnonzero(owner < 0):  # columns in no group: players of their own
            owner[j] = len(names)
            names.append(columns[j])
            members.append(np.array([j]))
        self.names = np.asarray(names, dtype=object)
        self.members = members
        self.owner = owner
        self.grouped = True

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

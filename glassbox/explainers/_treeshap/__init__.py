"""TreeSHAP in vectorised numpy: exact Shapley values of tree ensembles.

Supported models: scikit-learn's ``DecisionTree*``, ``ExtraTree*``, ``RandomForest*``,
``ExtraTrees*``, ``GradientBoosting*`` and ``HistGradientBoosting*``, the estimators of
XGBoost, LightGBM and CatBoost (read from their public dumps, none of them imported by
glassbox), and glassbox's ``TreeClassifier`` and ``TreeRegressor``. Two value functions
are computed exactly:

* path-dependent (``background=None``): the expectation of the model given the known
  features, estimated by following the training cover of each split (Lundberg et al.
  2020, Algorithm 2);
* interventional (``background`` rows): the average over background rows ``z`` of the
  model at the hybrid row taking the coalition's features from ``x`` and the others
  from ``z`` (the "independent" TreeSHAP of the same paper).

How it is computed
------------------
A tree is a sum over its leaves, so Shapley values are sums of per-leaf values. For a
leaf with ``d`` distinct features on its root-to-leaf path, a row enters only through
its *fail pattern*: the set ``U`` of those features whose splits on the path it does
not satisfy (``d`` bits). Per leaf, both value functions average a product game over
"reference" patterns: the background rows' patterns (interventional), or independent
patterns satisfying feature ``k`` with probability ``r_k``, the cover ratio of its
splits on the path (path-dependent). With ``A`` the features only the explained row
satisfies and ``B`` those only the reference satisfies (hybrids reach the leaf only
if no feature is failed by both), each feature of ``A`` gets
``(|A|-1)! |B|! / (|A|+|B|)!`` and each of ``B`` minus ``|A|! (|B|-1)! / (|A|+|B|)!``
(times the leaf value). So every leaf gets a table over the ``2**d`` fail patterns
(the FastTreeSHAP v2 idea, Yang 2021), built for many leaves at once, both by
Gauss-Legendre quadrature of the weights: of the product game, batched matrix products
(path-dependent), or of the background patterns' superset sums, one superset-sum
transform per node (interventional).

Leaf tables then merge bottom-up into *blocks*: a subtree whose root has ``d`` path
features and ``k`` internal nodes is indexed by the root's fail pattern and the
directions taken at its ``k`` internal nodes, ``d + k`` bits. Explaining rows is one
comparison per internal node, a few integer operations per node above the blocks,
and one table read per block feature, for all rows of a chunk at once (summed into the
values a few hundred tables at a time, while in cache: ``_slots``). Blocks merge
when the reads they save pay for building them, given the number of rows expected.

Leaves with too many distinct path features for a table use formulas without tables:
a Linear TreeSHAP pass over the nodes (Yu et al. 2022; path-dependent) or the pairs of
explained and background rows whose fail patterns are disjoint (interventional). Deep
trees stay exact and memory stays bounded.

Oblivious (symmetric) trees, as CatBoost grows them, split on one feature at one
threshold per level: a row's path is fixed by ``D`` direction bits, and the fail
pattern of every leaf is a function of those bits xor the leaf's own. Such a tree of
depth 1 to 8 gets one table over its ``2**D`` leaf indices, the sum of its leaves'
tables re-indexed (``D`` comparisons and ``d`` reads per row, where the blocks would
descend fail patterns through all ``2**D - 1`` nodes).

Which method explains which leaves is chosen once per model (``_engines``): oblivious
trees first; then, per leaf, a table when its ``d`` is at most the bits that the rows
expected pay for (:func:`._planner.table_bits`: building costs about ``d * d * 2**d``,
the formulas a few operations per node and row, or per compatible pair), within a
memory budget; path-dependent, a tree with any leaf beyond the tables goes whole
through the linear pass, whose own small subtrees are read from tables.

The trees are read into node arrays by :func:`glassbox._core.read_tree_model`. Here,
``_explainer`` holds :class:`TreeShap` and :func:`tree_shap`; ``_engines`` the choice
of method per tree and leaf; ``_paths`` the paths of the nodes, the router and the
descent of fail patterns; ``_tables`` the leaf tables; ``_planner`` the blocks and how
rows are explained with them; ``_slots`` the reading of tables into the values;
``_oblivious`` the tables of symmetric trees; ``_linear``
and ``_subtrees`` the path-dependent pass without leaf tables; ``_pairs`` the
interventional compatible pairs. glassbox's own trees register their reader with the
core from :mod:`glassbox.models._tree`.

References
----------
Lundberg, Erion, Chen, DeGrave, Prutkin, Nair, Katz, Himmelfarb, Bansal, Lee (2020).
From local explanations to global understanding with explainable AI for trees.
Nature Machine Intelligence 2, 56-67.

Yang (2021). Fast TreeSHAP: accelerating SHAP value computation for trees.
arXiv:2109.09847.

Yu, Xu, Coons, Bhatt, Agrawal (2022). Linear TreeShap. NeurIPS 2022.
"""

from __future__ import annotations

from ..._core import is_tree_model
from ._explainer import TreeShap, tree_shap

__all__ = ["TreeShap", "is_tree_model", "tree_shap"]

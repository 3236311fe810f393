"""How the transparent models read and export themselves, apart from how they are fitted.

One module per model family (``_linear``, ``_tree``, ``_rules``, ``_additive``) turns a
fitted model into text, a SQL query and a plain Python module. What they share has one
place per dialect: ``_sql`` (identifiers, literals, CASE columns, the SELECT of a
logistic or softmax model), ``_python`` (exact literals, the prelude and the functions
every exported module defines) and ``_conditions`` (the conditions of trees and rule
lists as text, SQL and Python). Nothing here is public: the estimators' ``to_text``,
``to_sql`` and ``to_python`` are.
"""

from __future__ import annotations

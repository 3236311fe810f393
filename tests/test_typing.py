"""Every public signature of glassbox is annotated (the package ships ``py.typed``).

The public functions and classes are those in the ``__all__`` of the public packages;
a class's public methods are the ones glassbox defines (on the class or on a glassbox
base class), not those inherited from scikit-learn mixins such as ``get_params``.
"""

import importlib
import inspect

import pytest

PUBLIC_PACKAGES = [
    "glassbox",
    "glassbox._core",
    "glassbox.explainers",
    "glassbox.metrics",
    "glassbox.models",
    "glassbox.plot",
    "glassbox.report",
    "glassbox.selection",
    "glassbox.surrogate",
]

# Dunder methods that are part of a class's public interface.
PUBLIC_DUNDERS = {"__init__", "__call__", "__getitem__"}


def _is_ours(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "glassbox"


def _functions(member):
    """The plain functions behind a class attribute (method, property, descriptor)."""
    if isinstance(member, (staticmethod, classmethod)):
        return [member.__func__]
    if isinstance(member, property):
        return [f for f in (member.fget, member.fset) if f is not None]
    if inspect.isfunction(member):
        return [member]
    for attr in ("fn", "func"):  # scikit-learn's available_if, functools.cached_property
        inner = getattr(member, attr, None)
        if inspect.isfunction(inner):
            return [inner]
    return []


def public_signatures():
    """(qualified name, function) for every public function and method glassbox defines."""
    found = {}
    for package in PUBLIC_PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and _is_ours(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            elif inspect.isclass(obj) and _is_ours(obj):
                for klass in obj.__mro__:
                    if not _is_ours(klass):
                        continue
                    for attr, member in vars(klass).items():
                        if attr.startswith("_") and attr not in PUBLIC_DUNDERS:
                            continue
                        for func in _functions(member):
                            if _is_ours(func):
                                found[f"{func.__module__}.{func.__qualname__}"] = func
    return sorted(found.items())


def missing_annotations(func):
    """The names of the parameters (and ``return``) of ``func`` that lack an annotation."""
    signature = inspect.signature(func)
    missing = [
        name
        for name, param in signature.parameters.items()
        if name not in ("self", "cls") and param.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


SIGNATURES = public_signatures()


def test_public_signatures_are_found():
    names = dict(SIGNATURES)
    assert "glassbox._explain.explain" in names  # a function
    assert "glassbox.explanation.Explanation.__getitem__" in names  # a public dunder
    assert "glassbox.explainers._base.BaseExplainer.fit" in names  # inherited from a glassbox base
    assert "glassbox.surrogate.GlobalSurrogate.predict_proba" in names  # behind available_if
    assert "glassbox.models._tree_nodes.TreeNodes.depth" in names  # a property
    assert not any(name.endswith((".get_params", ".set_output", ".fit_transform")) for name in names)


@pytest.mark.parametrize("name, func", SIGNATURES, ids=[name for name, _ in SIGNATURES])
def test_public_signature_is_annotated(name, func):
    missing = missing_annotations(func)
    assert not missing, f"{name} lacks annotations for: {', '.join(missing)}"

"""docs/api.md names every public name of every public package."""

import importlib
from pathlib import Path

import pytest

API = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
PACKAGES = ["glassbox", "glassbox.models", "glassbox.explainers", "glassbox.surrogate", "glassbox.selection",
            "glassbox.metrics", "glassbox.plot", "glassbox.report"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_in_the_api_reference(package):
    names = [n for n in importlib.import_module(package).__all__ if not n.startswith("__")]
    missing = [n for n in names if f"`{n}`" not in API]
    assert not missing, f"docs/api.md lacks {missing} from {package}"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_has_a_docstring(package):
    module = importlib.import_module(package)
    bare = [n for n in module.__all__ if not n.startswith("__") and not (getattr(module, n).__doc__ or "").strip()]
    assert not bare, f"{package} exports names without a docstring: {bare}"

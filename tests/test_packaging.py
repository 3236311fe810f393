"""The wheel and the sdist, built from this tree and installed in a fresh virtual environment.

The fresh environment borrows the dependencies (numpy, scikit-learn, ...) of the running
interpreter through a directory of symbolic links, so it needs no network; the links leave
out glassbox itself and the editable-install hooks, so ``import glassbox`` there can only
find the installed wheel.
"""

import email.parser
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import glassbox

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = ["glassbox", "glassbox.models", "glassbox.explainers", "glassbox.metrics", "glassbox.plot",
          "glassbox.surrogate", "glassbox.selection", "glassbox.report"]
# Left out of the copy the distributions are built from: what a clean clone does not have.
UNTRACKED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                   ".pytest_cache", ".hypothesis", ".ruff_cache", "out")

# Run inside the fresh environment: import every module and every public name, report as JSON.
CHECK = """
import importlib, importlib.metadata, json, sys
from pathlib import Path

modules, public = json.loads(sys.argv[1]), json.loads(sys.argv[2])
failed, missing = {}, {}
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
for name in public:
    module = sys.modules.get(name)
    if module is not None:
        names = getattr(module, "__all__", None)
        missing[name] = ["__all__"] if names is None else [n for n in names if not hasattr(module, n)]
glassbox = sys.modules.get("glassbox")
metadata = importlib.metadata.metadata("glassbox-ml")
print(json.dumps({
    "file": getattr(glassbox, "__file__", None),
    "version": getattr(glassbox, "__version__", None),
    "py_typed": glassbox is not None and (Path(glassbox.__file__).parent / "py.typed").is_file(),
    "name": metadata["Name"],
    "license": metadata["License-Expression"],
    "failed": failed,
    "missing": missing,
}))
"""


def _clean_env():
    """The environment without PYTHONPATH and friends, so nothing points at the source tree."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["MPLBACKEND"] = "Agg"
    return env


def _run(args, cwd):
    result = subprocess.run(args, cwd=cwd, env=_clean_env(), capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _source_modules():
    """Every module of the source tree, by dotted name."""
    names = []
    for path in sorted((ROOT / "glassbox").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """The sdist and the wheel ``python -m build`` makes (the wheel is built from the sdist)."""
    tmp = tmp_path_factory.mktemp("build")
    source, out = tmp / "source", tmp / "dist"
    shutil.copytree(ROOT, source, ignore=UNTRACKED)
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], cwd=tmp)
    (sdist,), (wheel,) = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    return sdist, wheel


@pytest.fixture(scope="module")
def venv(dists, tmp_path_factory):
    """A fresh virtual environment with the wheel installed and the running interpreter's dependencies."""
    tmp = tmp_path_factory.mktemp("venv")
    env_dir, deps = tmp / "env", tmp / "deps"
    _run([sys.executable, "-m", "venv", str(env_dir)], cwd=tmp)
    python = env_dir / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).stdout.strip())
    deps.mkdir()
    for directory in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(directory).iterdir():
            name = entry.name.lower()
            if name.startswith(("glassbox", "__editable__", "__pycache__")) or name.endswith(".pth"):
                continue
            if not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    (site / "_outer_dependencies.pth").write_text(f"{deps}\n")
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(dists[1])], cwd=tmp)
    return env_dir


def test_wheel_metadata_names_the_distribution_and_its_license(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
        (metadata_path,) = [f for f in files if f.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(metadata_path).decode())
    assert metadata["Name"] == "glassbox-ml"
    assert metadata["Version"] == glassbox.__version__
    assert metadata["License-Expression"] == "BSD-3-Clause"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert "glassbox/py.typed" in files
    assert any(f.endswith(".dist-info/licenses/LICENSE") for f in files)
    assert not any(f.startswith(("tests/", "benchmarks/", "examples/")) for f in files)


def test_sdist_carries_the_license_and_the_sources(dists):
    sdist, _ = dists
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert {name.split("/")[0] for name in names} == {f"glassbox_ml-{glassbox.__version__}"}
    files = {name.split("/", 1)[1] for name in names if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "glassbox/__init__.py", "glassbox/py.typed"} <= files
    # MANIFEST.in: the documents and the tests travel with the sources.
    assert {"CHANGELOG.md", "CONTRIBUTING.md", "docs/index.md", "tests/test_common.py", "tests/_core/test_binning.py",
            "examples/demo.py", ".ci/run"} <= files


def test_installed_wheel_imports_every_module_and_public_name(venv, tmp_path):
    modules = _source_modules()
    result = _run([venv / "bin" / "python", "-I", "-c", CHECK, json.dumps(modules), json.dumps(PUBLIC)], cwd=tmp_path)
    found = json.loads(result.stdout)
    assert found["failed"] == {}, "modules of the source tree that do not import from the wheel"
    assert Path(found["file"]).resolve().is_relative_to(venv.resolve()), f"glassbox came from {found['file']}"
    assert found["missing"] == {name: [] for name in PUBLIC}, "names in __all__ that the package lacks"
    assert found["version"] == glassbox.__version__
    assert found["py_typed"]
    assert (found["name"], found["license"]) == ("glassbox-ml", "BSD-3-Clause")


@pytest.mark.parametrize("command", [["glassbox"], ["python", "-m", "glassbox"]], ids=["script", "module"])
def test_installed_command_line_prints_the_version(venv, tmp_path, command):
    executable = venv / "bin" / command[0]
    result = _run([executable, *command[1:], "--version"], cwd=tmp_path)
    assert result.stdout == f"glassbox {glassbox.__version__}\n"

"""The architecture, enforced: imports point only down (import-linter layers contract in
pyproject.toml), no import cycles, no hidden function-level imports of xcat modules, no
private names imported across modules, modules of a readable size, ruff clean.

It replaces the earlier "no SQL in Python" lint: short bound statements now live
beside the Python that runs them; SQL built from metadata goes through SQLAlchemy Core
(:mod:`xcat.store.sqlbuild`).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "xcat"
#: Third-party libraries that cost >0.1 s to import and are used by few commands: they
#: may be imported inside the function that needs them (start-up time, README).
HEAVY = {"matplotlib", "lsdb", "dask", "distributed", "hats", "hats_import", "astropy",
         "pandas", "healpy", "pyvo", "scipy", "regions", "tqdm", "sqlalchemy",
         "duckdb_engine", "requests", "urllib3", "pyarrow"}
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_layers_contract_kept():
    """``lint-imports`` (import-linter) with the layers contract in pyproject.toml."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter not installed (it comes with the test extra)")
    r = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "1 kept, 0 broken" in r.stdout


def test_no_import_cycles():
    """No two xcat modules import each other, directly or through others."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("xcat")
    cycles = []
    for mod in sorted(graph.modules):
        for dep in graph.find_modules_directly_imported_by(mod):
            if dep != mod and graph.chain_exists(importer=dep, imported=mod):
                cycles.append(f"{mod} <-> {dep}")
    assert cycles == []


def _function_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.append((node.lineno, node.module or ""))
    return found


def test_function_level_imports_only_for_heavy_libraries():
    """xcat modules import each other at module level (the CLI loads commands lazily, and
    ``xcat.Store`` is loaded on first use); inside functions only heavy third-party
    libraries are imported, so start-up stays fast."""
    bad = []
    for path in _modules():
        rel = path.relative_to(ROOT)
        lazy_cli = rel.parts[1] == "cli" or rel == Path("xcat/__init__.py")
        for line, module in _function_imports(path):
            top = module.split(".")[0]
            if top == "xcat" and lazy_cli:
                continue
            if top == "xcat" or (top not in HEAVY and top not in sys.stdlib_module_names):
                bad.append(f"{rel}:{line} imports {module}")
    assert bad == []


def test_no_private_names_across_modules():
    """``from xcat.x import _name`` would couple a module to another's internals."""
    bad = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xcat"):
                bad += [f"{path.relative_to(ROOT)}:{node.lineno} {a.name}"
                        for a in node.names if a.name.startswith("_")
                        and a.name != "__version__"]
    assert bad == []


def test_modules_stay_readable():
    """Every module is under ~400 lines; split by concept when one grows."""
    big = {str(p.relative_to(ROOT)): n for p in _modules()
           if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert big == {}


def test_ruff_clean():
    if shutil.which("ruff") is None and subprocess.run(
            [sys.executable, "-m", "ruff", "--version"], capture_output=True,
            check=False).returncode != 0:
        pytest.skip("ruff not installed (it comes with the test extra)")
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "xcat", "tests", "bench",
                        "dev.py"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_declared_dependencies_cover_every_import():
    """Every third-party package xcat imports is a declared dependency (regression: scipy,
    needed by astropy's positional matching, and requests/urllib3 were missing)."""
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(reqs):
        return {re.split(r"[<>=!~ \[;]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in reqs}

    declared = names(project["dependencies"])
    # the dask extra (--engine dask) is imported only inside the functions that need it
    optional = names(project["optional-dependencies"]["dask"])
    dists = packages_distributions()
    used: set[str] = set()
    top: set[str] = set()
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names_ = ([a.name for a in node.names] if isinstance(node, ast.Import)
                      else [node.module] if isinstance(node, ast.ImportFrom)
                      and node.level == 0 and node.module else [])
            used |= {n.split(".")[0] for n in names_}
            if node in tree.body:
                top |= {n.split(".")[0] for n in names_}
    third_party = {m for m in used if m != "xcat" and m not in sys.stdlib_module_names}

    def dist_names(m):
        return {d.lower().replace("_", "-") for d in dists.get(m, [m])}

    missing = {m: dists.get(m) for m in third_party
               if not dist_names(m) & (declared | optional)}
    assert missing == {}
    eager = {m for m in third_party & top if not dist_names(m) & declared}
    assert eager == set(), "optional packages imported at module level"
    # scipy is imported by astropy's match_coordinates_sky, not by xcat directly
    assert {"scipy", "requests", "urllib3"} <= declared

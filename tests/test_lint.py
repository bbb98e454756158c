"""The code base stays ruff clean (the rule set is in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    if shutil.which("ruff") is None and subprocess.run(
            [sys.executable, "-m", "ruff", "--version"], capture_output=True,
            check=False).returncode != 0:
        pytest.skip("ruff not installed (it comes with the test extra)")
    r = subprocess.run([sys.executable, "-m", "ruff", "check", "xcat", "tests", "bench",
                        "dev.py"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_sql_lives_in_queries_not_python():
    """No SQL statements in the engine's Python string literals (docstrings excepted)."""
    import ast
    import re

    statement = re.compile(r"^\s*(SELECT\b.*\bFROM\b|INSERT\s+INTO|CREATE\s+(OR\s+REPLACE\s+)?"
                           r"(TABLE|VIEW|MACRO)|DELETE\s+FROM|UPDATE\s+\w+\s+SET|WITH\s+\w+\s+AS)",
                           re.IGNORECASE | re.DOTALL)
    offenders = []
    for path in sorted((ROOT / "xcat").rglob("*.py")):
        tree = ast.parse(path.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef
                                    | ast.AsyncFunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr)
                      and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and statement.search(node.value)):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []

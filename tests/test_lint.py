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
    """No SELECT/INSERT/CREATE statements in Python strings of the engine."""
    import re

    pattern = re.compile(r"[\"'](\s*)(SELECT|INSERT|CREATE|DELETE|UPDATE)\s", re.IGNORECASE)
    offenders = [f"{p.name}:{i}" for p in (ROOT / "xcat").glob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1)
                 if pattern.search(line) and "doctest" not in line and ">>>" not in line]
    assert offenders == []

#!/usr/bin/env python3
"""One-command setup and run, needing only Python 3.11+.

    python3 dev.py demo      # set up .venv, load the simulated demo field into ./xcat-demo-store,
                             # print a cone search and an SQL query
    python3 dev.py test      # set up .venv (with test extras) and run the whole test suite
    python3 dev.py bench     # set up .venv (with benchmark extras), run bench/run.py (ingest,
                             # cone) then bench/xmatch_bench.py (cross-match)
    python3 dev.py lint      # ruff

The virtual environment is created in ./.venv (or $XCAT_VENV) and reinstalled only
when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("XCAT_VENV", ROOT / ".venv"))
EXTRAS = {"demo": "", "test": "[test]", "lint": "[test]", "bench": "[test,bench]"}


def python() -> Path:
    """The venv's interpreter."""
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_env(extras: str) -> None:
    """Create the venv and install xcat (editable) with ``extras`` when needed."""
    if sys.version_info < (3, 11):
        sys.exit(f"xcat needs Python 3.11+, this is {sys.version.split()[0]}")
    if not python().exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".xcat-installed{extras.replace('[', '-').replace(']', '').replace(',', '-')}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"installing xcat{extras} into {VENV} (first run takes a few minutes)", flush=True)
    pip = [str(python()), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}{extras}"], check=True)
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    """Dispatch ``demo``, ``test``, ``bench`` or ``lint``; extra args go to the tool."""
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    cmd, rest = argv[0], argv[1:]
    ensure_env(EXTRAS[cmd])
    py = str(python())
    if cmd == "demo":
        run = [py, "-m", "xcat.cli", "demo", *rest]
    elif cmd == "test":
        run = [py, "-m", "pytest", *rest]
    elif cmd == "lint":
        run = [py, "-m", "ruff", "check", "xcat", "tests", "bench", "dev.py", *rest]
    else:
        rc = subprocess.call([py, str(ROOT / "bench" / "run.py"), *rest], cwd=ROOT)
        return rc or subprocess.call([py, str(ROOT / "bench" / "xmatch_bench.py")], cwd=ROOT)
    return subprocess.call(run, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

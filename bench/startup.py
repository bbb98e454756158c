#!/usr/bin/env python3
"""Start-up cost of the ``xcat`` command: every CLI call is a new process, so import time
is what a user waits for on each command.

    python bench/startup.py             # best of 5 runs per command
    python bench/startup.py --runs 9

Measured per command, in fresh processes: wall time (best and median of N) and the
process's CPU time (user + system, from ``resource.getrusage(RUSAGE_CHILDREN)``).
Commands: ``xcat --version``, ``xcat sql "select 1"`` and ``xcat catalogs`` on a small
store, ``python -c "import xcat"``, and for reference a bare ``python -c pass``. Also
prints which imports cost most for ``xcat sql`` (``python -X importtime``).
Targets (issue 10): ``xcat --version`` <= 0.15 s and ``xcat sql "select 1"`` <= 0.5 s
wall, best of 5.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"xcat --version": 0.15, 'xcat sql "select 1"': 0.5}


def timed(cmd: list[str], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Wall and CPU seconds of ``runs`` fresh processes (best, median)."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return {"wall_best": min(walls), "wall_median": statistics.median(walls),
            "cpu_best": min(cpus), "cpu_median": statistics.median(cpus)}


def import_costs(cmd: list[str], env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """The top-level packages whose import took longest (cumulative, ``-X importtime``)."""
    r = subprocess.run([sys.executable, "-X", "importtime", *cmd[1:]], capture_output=True,
                       text=True, env=env, cwd=ROOT, check=True)
    costs: dict[str, float] = {}
    for line in r.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m[2]) <= 1:  # top-level imports only
            costs[m[3]] = costs.get(m[3], 0) + int(m[1]) / 1e6
    return sorted(costs.items(), key=lambda kv: -kv[1])[:top]


def main() -> int:
    """Run the measurements and print a table (and JSON with ``--json``)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xcat-startup-"))
    env = {**os.environ, "XCAT_STORE": str(tmp / "store")}
    py = sys.executable
    xcat = [py, "-m", "xcat"]
    csv = tmp / "t.csv"
    csv.write_text("id,ra,dec\n1,10.0,20.0\n2,10.1,20.1\n")
    subprocess.run([*xcat, "ingest", "table", str(csv), "--name", "t", "--key", "id"],
                   check=True, capture_output=True, env=env, cwd=ROOT)
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import xcat'": [py, "-c", "import xcat"],
        "xcat --version": [*xcat, "--version"],
        'xcat sql "select 1"': [*xcat, "sql", "select 1"],
        "xcat catalogs": [*xcat, "catalogs"],
    }
    results = {name: timed(cmd, args.runs, env) for name, cmd in commands.items()}
    print(f"start-up, {args.runs} fresh processes each (python {sys.version.split()[0]})")
    print(f"{'command':28s} {'wall best':>10s} {'wall median':>12s} {'cpu best':>9s} "
          f"{'target':>8s}")
    status = 0
    for name, r in results.items():
        target = TARGETS.get(name)
        mark = ""
        if target is not None:
            ok = r["wall_best"] <= target
            mark = f"<= {target:.2f} {'ok' if ok else 'MISSED'}"
            status |= 0 if ok else 3
        print(f"{name:28s} {r['wall_best']:9.3f}s {r['wall_median']:11.3f}s "
              f"{r['cpu_best']:8.3f}s  {mark}")
    print('\nwhere `xcat sql "select 1"` spends its import time (cumulative, s):')
    for mod, sec in import_costs(commands['xcat sql "select 1"'], env):
        print(f"  {mod:24s} {sec:.3f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())

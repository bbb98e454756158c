"""Shared test helpers: run the CLI and check that a failing command changed nothing."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from click.testing import CliRunner

import xcat
from xcat.cli import cli


def snapshot(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (the DuckDB file included)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(root: Path, *args: str) -> str:
    """Run ``xcat --store root ARGS``; it must succeed; return its output."""
    r = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert r.exit_code == 0, r.output + r.stderr
    return r.output


def fails(root: Path, *args: str) -> str:
    """Run a command that must fail: exit 1, one error line, store byte-identical."""
    before = snapshot(root)
    r = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("xcat: error: "), r.stderr
    assert snapshot(root) == before
    return err[0]


def copied_store(src: Path, tmp_path: Path) -> Iterator[xcat.Store]:
    """Open a fresh copy of a store built once per module (for fixtures)."""
    root = tmp_path / "copy"
    shutil.copytree(src, root)
    s = xcat.Store.open(root)
    yield s
    s.close()

"""Saved samples: named, parameterised SQL files (``queries/saved/<name>.sql``).

A sample file starts with header comments::

    -- title: SNR candidates
    -- description: Sources flagged by the supernova-remnant rule.
    -- param host: Host galaxy name (e.g. M101)
    -- param min_flux: Faintest flux kept [default: 0]

and uses ``$host``-style bound parameters. xcat's own samples are in
``queries/saved/``; users add theirs as files in ``<store>/samples/`` or in folders
listed in ``$XCAT_SAMPLE_DIRS`` (separated by ``os.pathsep``), which override xcat's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xcat import resources
from xcat.errors import XcatError
from xcat.store.db import Database
from xcat.store.sql import parse_params

HEADER = re.compile(r"^--\s*(title|description):\s*(.*)$")
PARAM = re.compile(r"^--\s*param\s+(\w+):\s*(.*?)\s*(?:\[default:\s*(.*)\])?\s*$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass
class Sample:
    """A saved sample: its SQL, what it is, and the parameters it takes."""

    name: str
    path: Path
    title: str
    description: str
    sql: str
    params: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

    def bind(self, given: dict[str, Any]) -> dict[str, Any]:
        """Parameters to bind: given values, then defaults; unknown or missing ones fail."""
        unknown = set(given) - set(self.params)
        if unknown:
            raise XcatError(f"sample '{self.name}' has no parameter(s) "
                            f"{', '.join(sorted(unknown))} (it takes: "
                            f"{', '.join(self.params) or 'none'})")
        out: dict[str, Any] = {}
        for p in self.params:
            if p in given:
                out[p] = given[p]
            elif p in self.defaults:

                out[p] = parse_params([f"{p}={self.defaults[p]}"])[p]
            else:
                raise XcatError(f"sample '{self.name}' needs --param {p}=... "
                                f"({self.params[p]})")
        return {k: v for k, v in out.items() if f"${k}" in self.sql}


def sample_dirs(store_path: Path | None) -> list[Path]:
    """Folders searched for samples, highest priority first."""
    dirs = [Path(d) for d in os.environ.get("XCAT_SAMPLE_DIRS", "").split(os.pathsep) if d]
    if store_path is not None:
        dirs.append(store_path / "samples")
    dirs.append(resources.queries_dir() / "saved")
    return dirs


def parse_sample(path: Path) -> Sample:
    """Read one sample file."""
    text = path.read_text()
    meta: dict[str, str] = {}
    params: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        if m := HEADER.match(line):
            meta[m[1]] = meta.get(m[1], "") + (" " if m[1] in meta else "") + m[2].strip()
        elif m := PARAM.match(line):
            params[m[1]] = m[2]
            if m[3] is not None:
                defaults[m[1]] = m[3].strip()
    if "title" not in meta:
        raise XcatError(f"{path}: a saved sample needs a '-- title:' header line")
    return Sample(path.stem, path, meta["title"], meta.get("description", ""), text, params,
                  defaults)


def list_samples(store_path: Path | None = None) -> list[Sample]:
    """Every sample visible from a store (user folders shadow xcat's own by name).

    Examples
    --------
    >>> [s.name for s in list_samples()][:2]                         # doctest: +SKIP
    ['counterparts_within_2sigma', 'luminosity_function']
    """
    found: dict[str, Sample] = {}
    for d in sample_dirs(store_path):
        for f in sorted(d.glob("*.sql")) if d.is_dir() else []:
            if NAME.match(f.stem) and f.stem not in found:
                found[f.stem] = parse_sample(f)
    return sorted(found.values(), key=lambda s: s.name)


def get_sample(name: str, store_path: Path | None = None) -> Sample:
    """One sample by name; a clear error listing the known ones otherwise."""
    for s in list_samples(store_path):
        if s.name == name:
            return s
    known = ", ".join(s.name for s in list_samples(store_path))
    raise XcatError(f"no saved sample '{name}' (known: {known})")


def run_sample(store: Database, name: str, params: dict[str, Any] | None = None, *,
               output: str = "pandas") -> Any:
    """Run a saved sample against a store with bound parameters.

    Examples
    --------
    >>> run_sample(store, "snr_candidates", {"host": "M101"})       # doctest: +SKIP
    """
    sample = get_sample(name, store.path)
    return store.sql(sample.sql, sample.bind(params or {}), output=output)

"""The one shape of every ingest job (like hats-import's arguments dataclasses).

A job is a frozen dataclass of its arguments, checked in ``__post_init__``: a bad
option raises :class:`~xcat.errors.XcatError` with one clear line before anything is
read. :meth:`Job.prepare` reads and checks the input (a file, a service's answer)
without touching any store and returns an :class:`Install`: the checked catalogs
with their provenance, which :func:`xcat.jobs.runner.run` installs once the store is
open. :meth:`Job.describe` says what a service job would send (``--dry-run``).

Jobs: :class:`~xcat.jobs.file.FileJob` (any catalog kind from a file),
:class:`~xcat.jobs.tap.TapJob` (CSC, HEASARC, Gaia, VizieR cones or ADQL),
:class:`~xcat.jobs.upload.UploadJob` (2RXS TAP upload join),
:class:`~xcat.jobs.photometry.PhotometryJob`,
:class:`~xcat.jobs.products.ingest.ProductJob` and :class:`~xcat.jobs.demo.DemoJob`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from xcat.errors import XcatError
from xcat.store.db import Database


@dataclass(frozen=True)
class Provenance:
    """Where a catalog came from: a file (absolute path) or a service URL, and how."""

    source: str
    detail: str
    sha256: str


class Install(ABC):
    """What :meth:`Job.prepare` returns: checked input, ready to go into a store."""

    @property
    def create_store(self) -> bool:
        """Whether the runner may create a missing store (not for a linked product)."""
        return True

    @abstractmethod
    def install(self, store: Database, *, replace: bool = False,
                progress: bool = False) -> list[str]:
        """Put the checked input into ``store`` atomically; return a line per change."""


class Job(ABC):
    """Arguments of one ingest, checked on construction (subclasses are frozen dataclasses)."""

    @abstractmethod
    def prepare(self) -> Install:
        """Read and check the input; never touches a store."""

    def describe(self) -> list[str]:
        """What the job would send, without sending it (``--dry-run``): service jobs only."""
        raise XcatError("--dry-run applies to service queries, not to FILE")


def options_detail(options: dict[str, Any]) -> str:
    """The ``source_detail`` of a file ingest: its non-empty options as sorted JSON.

    Examples
    --------
    >>> options_detail({"kind": "csc", "key": None, "pos_err": []})
    '{"kind": "csc"}'

    """
    return json.dumps({k: v for k, v in options.items() if v}, sort_keys=True)

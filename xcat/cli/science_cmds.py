"""``xcat host``, ``xcat classify``, ``xcat history``, ``xcat flags`` (issue 6)."""

from __future__ import annotations

import click  # noqa: F401

from xcat.cli.app import cli  # noqa: F401

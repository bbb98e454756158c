"""``xcat xmatch ...``: cross-match runs (issue 5)."""

from __future__ import annotations

import click  # noqa: F401

from xcat.cli.app import cli  # noqa: F401

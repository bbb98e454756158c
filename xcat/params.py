"""Bound SQL parameters given as ``NAME=VALUE`` on the command line."""

from __future__ import annotations

from typing import Any

from xcat.errors import XcatError


def parse_params(items: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``["f=1e-14", "host=M101"]`` → ``{"f": 1e-14, "host": "M101"}`` (numbers typed).

    Examples
    --------
    >>> parse_params(["n=3", "host=M101"])
    {'n': 3, 'host': 'M101'}

    """
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise XcatError(f"parameter '{item}' is not NAME=VALUE")
        out[name.strip()] = _typed(value)
    return out


def _typed(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value

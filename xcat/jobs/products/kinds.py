"""Product kinds, declared in ``ingest/products/<kind>.toml``: the ``xcat ingest``
command of each, its help and examples, the options it adds to the shared product
options, its default link, and the units, descriptions and bands its rows take.

A new product kind that is kept as it is (like ``snr``) is one new file there; the
command line builds its subcommand and ``--kind`` choice from these files.

Examples
--------
>>> product_kind("srcflux").default_radius
'1arcsec'

"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from typing import Any

from xcat import resources
from xcat.errors import XcatError


@dataclass(frozen=True)
class ProductKind:
    """One kind of computed product (see ``ingest/products/<kind>.toml``)."""

    kind: str
    title: str
    command: str = ""                  # `xcat ingest <command>` ("": only --kind)
    help: str = ""
    examples: tuple[str, ...] = ()
    #: options beyond the shared ones: name -> {help, product_help, type}
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_radius: str = ""           # link by position within this when no link is given
    default_conf: float | None = None
    bands: dict[str, tuple[float, float]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    #: columns (globs) holding probabilities: numbers in [0, 1] or blank
    probabilities: tuple[str, ...] = ()

    @property
    def command_help(self) -> str:
        """The command's help: its text, then one paragraph per example."""
        return "\n\n".join([self.help, *(f"Example: {e}" for e in self.examples)])


@functools.cache
def product_kinds() -> dict[str, ProductKind]:
    """Every product kind by name (sorted), from ``ingest/products/*.toml``."""
    out = {}
    for path in sorted((resources.ingest_dir() / "products").glob("*.toml")):
        data = tomllib.loads(path.read_text())
        data["examples"] = tuple(data.get("examples", ()))
        data["probabilities"] = tuple(data.get("probabilities", ()))
        data["bands"] = {k: (float(v[0]), float(v[1]))
                         for k, v in data.get("bands", {}).items()}
        out[data["kind"]] = ProductKind(**data)
    return out


def product_kind(kind: str) -> ProductKind:
    """The product kind ``kind``, or an error naming the known ones."""
    kinds = product_kinds()
    if kind not in kinds:
        raise XcatError(f"unknown product kind '{kind}' (known: {', '.join(kinds)})")
    return kinds[kind]

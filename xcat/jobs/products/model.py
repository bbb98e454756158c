"""The data a product job passes along: the shaped rows (:class:`ProductBuild`) and how
each row links to a source (:class:`LinkResult`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class ProductBuild:
    """One product ready to link and store: rows, per-column unit/description, options."""

    name: str
    kind: str
    table: pa.Table
    units: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    row: list[int] | None = None          # input row (1-based) of every output row
    wide_values: list[str] = field(default_factory=list)  # spectral fits: model_parameter
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LinkResult:
    """How each output row is linked to a source of ``catalog``."""

    catalog: str | None
    rule: str
    key: str | None
    radius_arcsec: float | None
    source_key: list[str | None]
    sep_arcsec: list[float | None]
    detail: str = ""

    @property
    def n_linked(self) -> int:
        """Rows that found a source."""
        return sum(k is not None for k in self.source_key)

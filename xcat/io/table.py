"""The table model every reader produces: Arrow data plus per-column metadata
(unit, UCD, description, where each column came from).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa


@dataclass
class ColumnMeta:
    """Unit (astropy string), UCD and description of one column."""

    unit: str | None = None
    ucd: str | None = None
    description: str | None = None
    source_column: str | None = None
    source_unit: str | None = None


@dataclass
class InputTable:
    """A table read from a file: the data and what the file said about each column."""

    table: pa.Table
    meta: dict[str, ColumnMeta]
    source: str
    fmt: str
    notes: list[str] = field(default_factory=list)

    def column_meta(self, name: str) -> ColumnMeta:
        """Metadata of ``name``, created empty if the file gave none."""
        return self.meta.setdefault(name, ColumnMeta(source_column=name))


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def without_null_types(table: pa.Table) -> pa.Table:
    """Columns whose every value is empty come as Arrow's ``null`` type (DuckDB ``"NULL"``),
    which older DuckDB releases cannot bind in a view: store them as text.

    Examples
    --------
    >>> without_null_types(pa.table({"label": pa.nulls(2)})).schema.field("label").type
    DataType(string)
    """
    fields = [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return table if schema.equals(table.schema) else table.cast(schema)

"""Turn an input table into catalogs ready to store: positions in degrees, canonical
units, checked keys, per-column metadata on the Arrow schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from xcat.catalog.stream import SortedRuns
from xcat.errors import XcatError
from xcat.io.table import ColumnMeta, without_null_types
from xcat.store.migrations import schema_objects
from xcat.store.views import view_names

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
#: Prefixes and suffixes of the store's per-catalog views.
RESERVED_PREFIXES = ("stg_",)
RESERVED_SUFFIXES = ("_position_errors", "_margin")


def reserved_names() -> set[str]:
    """Every object the store owns: the migrations' tables, sequences and macros and the
    derived views (a catalog of such a name would be overwritten or break them).

    Examples
    --------
    >>> {"catalogs", "luminosities", "xray_sources", "source_flags"} <= reserved_names()
    True
    """
    return schema_objects() | view_names()


@dataclass
class CatalogBuild:
    """One catalog to be written: data, metadata and how it is keyed and positioned."""

    name: str
    kind: str
    table: pa.Table
    meta: dict[str, ColumnMeta]
    ra: str
    dec: str
    key: list[str]
    parent: str | None = None
    notes: list[str] = field(default_factory=list)
    #: The rows of a streamed ingest (sorted runs); ``table`` then holds no rows
    rows: SortedRuns | None = None

    @property
    def num_rows(self) -> int:
        """Rows of the catalog (in ``table`` or in the streamed runs)."""
        return self.rows.num_rows if self.rows is not None else self.table.num_rows

    def schema_with_metadata(self) -> pa.Table:
        """The table with unit/UCD/description stored as Arrow field metadata."""
        return without_null_types(self.table.cast(self.with_metadata(self.table.schema)))

    def with_metadata(self, schema: pa.Schema) -> pa.Schema:
        """``schema`` with each column's unit/UCD/description as field metadata (columns
        whose every value is empty as text, see :func:`without_null_types`).
        """
        fields = []
        for f in schema:
            m = self.meta.get(f.name) or ColumnMeta()
            md = {k: v for k, v in (("unit", m.unit), ("ucd", m.ucd),
                                    ("description", m.description)) if v}
            f = f.with_type(pa.string()) if pa.types.is_null(f.type) else f
            fields.append(f.with_metadata({k.encode(): v.encode() for k, v in md.items()}))
        return pa.schema(fields)


def check_name(name: str) -> str:
    """Catalog names are SQL identifiers: a letter, then letters, digits, underscores."""
    if not NAME_RE.match(name or ""):
        raise XcatError(f"catalog name '{name}' must start with a letter and hold only "
                        "letters, digits and underscores (at most 63)")
    low = name.lower()
    if low in reserved_names() or low.startswith(RESERVED_PREFIXES) \
            or low.endswith(RESERVED_SUFFIXES):
        raise XcatError(f"catalog name '{name}' is reserved for the store's own tables and views")
    return name


def parse_map(spec: str | None) -> list[tuple[str, str, str | None]]:
    """Parse ``--map "new=old,flux=FLUX[mW/m2]"`` into (new, old, unit) triples; the
    unit is None when not given and ``""`` for ``NEW=OLD[]`` (no unit).

    Examples
    --------
    >>> parse_map("f=F[mW/m2],g=G[],h=H")
    [('f', 'F', 'mW/m2'), ('g', 'G', ''), ('h', 'H', None)]
    """
    out = []
    for item in filter(None, (s.strip() for s in (spec or "").split(","))):
        m = re.fullmatch(r"([^=\s]+)\s*=\s*([^\[\s]+)\s*(?:\[(.*)\])?", item)
        if not m:
            raise XcatError(f"--map entry '{item}' is not NEW=OLD, NEW=OLD[unit] or "
                            "NEW=OLD[] (no unit)")
        out.append((m[1], m[2], m[3]))
    return out


def check_unique(table: pa.Table, key: list[str], source: str) -> None:
    """Raise naming the first duplicated key value and its rows."""
    counts = table.group_by(key).aggregate([([], "count_all")])
    dup = counts.filter(pc.greater(counts["count_all"], 1))
    if dup.num_rows:
        first = 0
        if len(key) == 1 and dup.num_rows > 1:  # the repeated key that comes first
            first = pc.index_in(table.column(key[0]), dup.column(key[0])).drop_null()[0]
            first = first.as_py()
        val = {k: dup.column(k)[first].as_py() for k in key}
        mask = None
        for k, v in val.items():
            m = pc.equal(table.column(k), v)
            mask = m if mask is None else pc.and_(mask, m)
        rows = [i + 1 for i, x in enumerate(mask.to_pylist()) if x][:5]
        shown = ", ".join(f"{k}={v!r}" for k, v in val.items())
        raise XcatError(f"{source}: duplicate source key {shown} (rows {rows}); "
                        f"{dup.num_rows} key(s) repeat")


#: Column names taken as row identifiers when no key is given, most specific first.
ID_NAMES = (("source_id", "sourceid", "source_name", "src_id", "srcid", "objid", "obj_id",
             "object_id", "objname", "designation", "iauname", "identifier", "region_id",
             "id", "name", "uid"),)
#: Name endings of identifier-like columns (a second, weaker tier).
ID_SUFFIXES = ("_id", "_name", "id")
#: The column added as the key when no identifier column is unambiguous.
ROW_ID = "row_id"


def _id_like(table: pa.Table, names: list[str]) -> list[str]:
    """Columns among ``names`` that identify rows: string or integer, no NULL or blank,
    unique.
    """
    out = []
    for col in names:
        arr = table.column(col)
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
                or pa.types.is_integer(arr.type)) or arr.null_count:
            continue
        blank = not pa.types.is_integer(arr.type) and pc.any(pc.equal(
            pc.utf8_trim_whitespace(arr), "")).as_py()  # a blank name identifies nothing
        if not blank and pc.count_distinct(arr).as_py() == table.num_rows:
            out.append(col)
    return out


def choose_key(table: pa.Table) -> tuple[str | None, str]:
    """The key of a table ingested without ``--key``: an identifier column when exactly
    one is unambiguous, else None (a row number is added); with the reason, for a note.

    The exact names in :data:`ID_NAMES` are tried first, then names ending in ``_id``,
    ``_name`` or ``id``; in each tier the candidates must be string or integer columns with
    no empty and no repeated value. Two such columns in the same tier are ambiguous.

    Examples
    --------
    >>> t = pa.table({"region_id": [1, 2], "shape": ["circle", "circle"]})
    >>> choose_key(t)[0]
    'region_id'
    >>> choose_key(pa.table({"id": [1, 2], "name": ["a", "b"]}))[0] is None
    True
    """
    return choose_key_by(table.column_names, lambda names: _id_like(table, names))


def choose_key_by(columns: list[str], id_like: Callable[[list[str]], list[str]]
                  ) -> tuple[str | None, str]:
    """:func:`choose_key` over ``columns``, ``id_like`` telling which of some columns
    identify rows (for a table in memory, or the runs of a streamed ingest).
    """
    lower = {c.lower(): c for c in columns}
    exact = [lower[n] for n in ID_NAMES[0] if n in lower]
    suffixed = [c for c in columns if c not in exact and c.lower().endswith(ID_SUFFIXES)]
    for tier in (exact, suffixed):
        found = id_like(tier)
        if len(found) == 1:
            return found[0], (f"key: '{found[0]}' (chosen: the one unique id/name column; "
                              "give --key COL for another)")
        if len(found) > 1:
            return None, (f"key: '{ROW_ID}', the input row number (no --key, and "
                          f"{', '.join(found)} are all unique: give --key COL to use one)")
    return None, (f"key: '{ROW_ID}', the input row number (no --key and no unique "
                  "id/name column)")

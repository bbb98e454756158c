"""Catalog kinds: what xcat knows about each kind of catalog (``ingest/<kind>``), and the
SQL expressions of its definition (an entry is an expression or a list of alternatives;
the first whose columns all exist in the catalog is used).

Catalog definitions: one TOML file per catalog kind under ``ingest/``.

Adding a catalog kind is one new file there (plus tests): its key, position
columns, per-detection columns, positional-error columns, assumed units and
descriptions.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field

from xcat import resources
from xcat.errors import XcatError


@dataclass(frozen=True)
class CatalogDefinition:
    """What xcat knows about one kind of catalog (see ``ingest/<kind>.toml``)."""

    kind: str
    title: str
    default_name: str = ""
    key: str = ""
    ra: str = ""
    dec: str = ""
    detections: bool = False
    detection_columns: tuple[str, ...] = ()
    position_errors: tuple[str, ...] = ()
    units: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    computed: dict[str, str] = field(default_factory=dict)
    xray: dict[str, object] = field(default_factory=dict)

    def assumed_unit(self, column: str) -> str | None:
        """Unit assumed for ``column`` when the input declares none (first glob wins)."""
        for pattern, unit in self.units.items():
            if fnmatch.fnmatchcase(column, pattern):
                return unit
        return None

    def is_detection_column(self, column: str) -> bool:
        """Whether ``column`` belongs to a stack/observation rather than the source."""
        return any(fnmatch.fnmatchcase(column, p) for p in self.detection_columns)


def load_definition(kind: str) -> CatalogDefinition:
    """Load ``ingest/<kind>.toml``.

    Examples
    --------
    >>> load_definition("csc").key
    'name'

    """
    path = resources.ingest_dir() / f"{kind}.toml"
    if not path.exists():
        known = sorted(p.stem for p in resources.ingest_dir().glob("*.toml"))
        raise XcatError(f"no catalog definition '{kind}' (known: {', '.join(known)})")
    data = tomllib.loads(path.read_text())
    data["detection_columns"] = tuple(data.get("detection_columns", ()))
    data["position_errors"] = tuple(data.get("position_errors", ()))
    return CatalogDefinition(**data)


IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
STRING = re.compile(r"'(?:[^']|'')*'")
SQL_WORDS = {
    "and", "or", "not", "null", "is", "true", "false", "case", "when", "then", "else", "end",
    "cast", "as", "double", "varchar", "integer", "bigint", "boolean", "in", "between",
    "like", "coalesce", "greatest", "least", "sqrt", "pow", "power", "abs", "ln", "log10",
    "exp", "nullif", "if", "lpad", "round", "floor", "ceil", "degrees", "radians", "sin",
    "cos", "atan2", "list_value", "list_filter", "x",
}


def referenced_columns(expr: str) -> set[str]:
    """Column names an expression refers to (lower case; literals and SQL words removed).

    Examples
    --------
    >>> sorted(referenced_columns("0.40854 * err_ellipse_r0 + coalesce(x_1, 'a b')"))
    ['err_ellipse_r0', 'x_1']
    """
    body = STRING.sub("''", expr)
    words = {m.group(0).lower() for m in IDENT.finditer(body)}
    return {w for w in words if w not in SQL_WORDS and not re.fullmatch(r"e\d+", w)}


def pick(entry: object, columns: set[str]) -> str | None:
    """The first alternative of ``entry`` whose columns are all in ``columns`` (lower case).

    Numbers become SQL literals; ``None`` when nothing applies.

    Examples
    --------
    >>> pick(["flux_aper_b", "flux_aper90_b"], {"flux_aper90_b"})
    'flux_aper90_b'
    >>> pick(0.95, set())
    '0.95'
    """
    if entry is None:
        return None
    if isinstance(entry, bool):
        return "TRUE" if entry else "FALSE"
    if isinstance(entry, int | float):
        return repr(float(entry)) if isinstance(entry, float) else str(entry)
    alternatives = entry if isinstance(entry, list) else [entry]
    for alt in alternatives:
        if referenced_columns(str(alt)) <= columns:
            return str(alt)
    return None

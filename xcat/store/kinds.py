"""Catalog kinds: what xcat knows about each kind of catalog (``ingest/<kind>/job.toml``),
and the SQL expressions of its definition (an entry is an expression or a list of
alternatives; the first whose columns all exist in the catalog is used).

One folder per ingest job under ``ingest/``: ``job.toml`` (key, position columns,
per-detection columns, positional-error columns, assumed units, descriptions, X-ray
roles, the remote service it is fetched from) and its ADQL templates beside it.
Adding a catalog kind is a new folder there (plus tests), and a module in
``xcat/jobs/`` only if it needs code.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from xcat import resources
from xcat.errors import XcatError

JOB_FILE = "job.toml"


@dataclass(frozen=True)
class CatalogDefinition:
    """What xcat knows about one kind of catalog (see ``ingest/<kind>/job.toml``)."""

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
    #: service (``config/services.toml``) a TAP ingest of this kind queries ("" = files only)
    source: str = ""
    #: release -> service, when each release has its own service (CSC 2.1, 2.0)
    releases: dict[str, str] = field(default_factory=dict)
    #: input format of a FILE when ``--format`` is not given ("" = from the file name)
    input_format: str = ""
    #: whether a FILE's key column is found without regard to case (SOURCE_ID = source_id)
    key_any_case: bool = False

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
    """Load ``ingest/<kind>/job.toml``.

    Examples
    --------
    >>> load_definition("csc").key
    'name'

    """
    if kind not in known_kinds():
        raise XcatError(f"no catalog definition '{kind}' (known: {', '.join(known_kinds())})")
    data = tomllib.loads(job_file(kind).read_text())
    data["detection_columns"] = tuple(data.get("detection_columns", ()))
    data["position_errors"] = tuple(data.get("position_errors", ()))
    return CatalogDefinition(**data)


def job_file(kind: str) -> Path:
    """``ingest/<kind>/job.toml`` (the job's ADQL templates are beside it)."""
    return resources.ingest_dir() / kind / JOB_FILE


def known_kinds() -> list[str]:
    """Every catalog kind with a ``job.toml``, sorted.

    Examples
    --------
    >>> {"csc", "rxs2", "erass1", "table"} <= set(known_kinds())
    True

    """
    return sorted(p.parent.name for p in resources.ingest_dir().glob(f"*/{JOB_FILE}"))


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

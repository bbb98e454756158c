"""Small helpers for the SQL expressions in catalog definitions (``ingest/<kind>.toml``).

An entry is an expression or a list of alternatives; the first alternative whose
columns all exist in the catalog is used, so one definition serves exports that
carry different column sets (CSCview vs CSC CLI, HEASARC vs VizieR).
"""

from __future__ import annotations

import re

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

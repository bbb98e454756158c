"""ADQL → DuckDB SQL: parsed by sqlglot with a small ADQL dialect, checked against an
allow-list, geometry rewritten (:mod:`xcat.server.adql_geometry`), printed as DuckDB.

Only one SELECT (with its subqueries, joins, CTEs and set operations) is accepted, over
the tables TAP_SCHEMA lists; every function must be a known ADQL or math/string/
aggregate one. Anything else — several statements, PRAGMA, SET, ATTACH, COPY,
INSTALL/LOAD, table functions (``read_csv``, ``glob``), files named in FROM, unknown
functions — is refused with the parser's message and position, before DuckDB sees it.

Examples
--------
>>> q = translate("SELECT TOP 3 ra FROM csc", {"csc"})
>>> q.top, q.sql
(3, 'SELECT "ra" FROM "csc" LIMIT 3')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import sqlglot
import sqlglot.expressions as exp
from sqlglot import tokens
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from xcat.errors import XcatError
from xcat.server import adql_cone, tap_runs, tap_samples, tap_upload
from xcat.server import adql_geometry as geo

#: TAP_SCHEMA tables, as the sandbox names the Arrow tables it registers.
TAP_SCHEMA = "TAP_SCHEMA"
TAP_SCHEMA_TABLES = ("schemas", "tables", "columns", "keys", "key_columns")
#: Schemas a query may name, each served by registered relations.
QUALIFIED = (TAP_SCHEMA, tap_upload.SCHEMA, tap_samples.SCHEMA.upper(),
             tap_runs.SCHEMA.upper())


def tap_schema_name(table: str) -> str:
    """Name of the registered relation that serves ``TAP_SCHEMA.<table>``."""
    return f"tap_schema__{table.lower()}"


class ADQL(Dialect):
    """ADQL 2.1 as sqlglot reads it: standard SQL plus ``TOP n``."""

    class Tokenizer(tokens.Tokenizer):
        """Standard tokens plus TOP."""

        KEYWORDS: ClassVar[dict] = {**tokens.Tokenizer.KEYWORDS, "TOP": TokenType.TOP}


#: sqlglot function classes an ADQL query may use (ADQL math, string, aggregate, casts).
ALLOWED_FUNCS: tuple[type, ...] = tuple(getattr(exp, n) for n in (
    "Abs", "Ceil", "Floor", "Round", "Sqrt", "Exp", "Ln", "Log", "Pow", "Mod", "Sign",
    "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2", "Cot", "Degrees", "Radians", "Pi",
    "Trunc", "Rand", "Count", "Sum", "Avg", "Min", "Max", "Stddev", "Variance",
    "Upper", "Lower", "Length", "Substring", "Trim", "Concat", "Cast", "TryCast",
    "Coalesce", "Case", "If", "Greatest", "Least", "Nullif", "Lead", "Lag", "RowNumber",
) if hasattr(exp, n))
#: Function names ADQL has that sqlglot leaves anonymous.
ALLOWED_NAMES = {"LOG10", "TRUNCATE", "SQRT", "SIN", "COS", "TAN", "ASIN", "ACOS",
                 "ATAN", "ATAN2", "COT", "DEGREES", "RADIANS", "PI", "RAND",
                 "LOWER", "UPPER", "ILIKE"}
#: Statement shapes accepted at the top.
QUERIES = (exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery)
#: Nodes never accepted anywhere in a query.
FORBIDDEN = tuple(getattr(exp, n) for n in (
    "Command", "Pragma", "Set", "SetItem", "Copy", "Attach", "Detach", "Install", "Load",
    "Insert", "Update", "Delete", "Create", "Drop", "Alter", "Use", "Into", "Placeholder",
    "Parameter", "Merge", "Transaction", "Commit", "Rollback", "Describe", "Show",
    "Summarize", "Export", "Anonymous_", "ReadCSV", "ReadParquet", "Lambda",
) if hasattr(exp, n))


@dataclass
class Query:
    """A checked query: DuckDB SQL, its TOP (or None), the tables it reads."""

    sql: str
    top: int | None
    tables: set[str] = field(default_factory=set)
    tree: exp.Expr | None = None
    #: A cone that ``Store.cone`` answers (its rows registered as ``adql_cone.HITS``).
    cone: adql_cone.Cone | None = None
    #: Units of computed result columns (``DISTANCE(...) AS d`` is in degrees).
    units: dict[str, str] = field(default_factory=dict)


def _units(tree: exp.Expr) -> dict[str, str]:
    """Result columns that are a DISTANCE (deg) or DISTANCE times 3600 (arcsec)."""
    out: dict[str, str] = {}
    select = tree if isinstance(tree, exp.Select) else None
    for item in select.expressions if select is not None else []:
        value = item.this if isinstance(item, exp.Alias) else item
        unit = None
        if geo.func_name(value) == "DISTANCE":
            unit = "deg"
        elif isinstance(value, exp.Mul) and any(
                geo.func_name(side) == "DISTANCE" for side in (value.this, value.expression)):
            other = value.expression if geo.func_name(value.this) == "DISTANCE" else value.this
            factor = {"60": "arcmin", "3600": "arcsec", "60.0": "arcmin", "3600.0": "arcsec"}
            if isinstance(other, exp.Literal) and not other.is_string:
                unit = factor.get(other.this)
        if unit:
            out[item.alias_or_name or "DISTANCE"] = unit
    return out


def _where(node: exp.Expr) -> str:
    meta = getattr(node, "meta", None) or {}
    if "line" in meta:
        return f" at line {meta['line']}, column {meta.get('col', '?')}"
    for ident in node.find_all(exp.Identifier):
        m = ident.meta or {}
        if "line" in m:
            return f" near line {m['line']}, column {m.get('col', '?')}"
    return ""


def _refuse(message: str, node: exp.Expr | None = None) -> XcatError:
    return XcatError(message + (_where(node) if node is not None else ""))


def parse(text: str) -> exp.Expr:
    """The one ADQL statement of ``text`` (sqlglot's message and position otherwise)."""
    try:
        trees = [t for t in sqlglot.parse(text, read=ADQL) if t is not None]
    except ParseError as e:
        first = e.errors[0] if e.errors else {}
        where = (f" at line {first['line']}, column {first['col']}"
                 if first.get("line") else "")
        desc = first.get("description") or str(e).splitlines()[0]
        raise XcatError(f"ADQL syntax error{where}: {desc}") from None
    except TokenError as e:
        raise XcatError(f"ADQL syntax error: {e}") from None
    if len(trees) != 1:
        raise XcatError(f"one ADQL SELECT statement is accepted, got {len(trees)} statements")
    tree = trees[0]
    if not isinstance(tree, QUERIES):
        raise _refuse(f"only SELECT is accepted, not {tree.key.upper()}", tree)
    return tree


def _check_function(node: exp.Func) -> None:
    if geo.func_name(node) is not None:
        return
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
        if name in ALLOWED_NAMES:
            return
        raise _refuse(f"unknown ADQL function {name}", node)
    if isinstance(node, (*ALLOWED_FUNCS, exp.Connector, exp.Binary, exp.Unary,
                                     exp.Predicate)):
        return
    raise _refuse(f"function {node.sql_name()} is not allowed in ADQL here", node)


def check(tree: exp.Expr, known: Iterable[str], uploads: Iterable[str] = (),
          samples: Iterable[str] = (), runs: Iterable[str] = ()) -> set[str]:
    """Refuse anything but reading the ``known`` tables, ``TAP_UPLOAD.<name>`` for the
    ``uploads`` and ``samples.<name>`` for the served ``samples``; return the tables read
    (qualified ones as ``SCHEMA.name``).
    """
    known_l = {k.lower() for k in known}
    schemas = {tap_upload.SCHEMA: ({u.lower() for u in uploads}, "no such upload"),
               tap_samples.SCHEMA.upper(): ({s.lower() for s in samples},
                                            "no such saved sample served (see /tap/tables)"),
               tap_runs.SCHEMA.upper(): ({r.lower() for r in runs},
                                         "no such cross-match run (see /tap/tables)"),
               TAP_SCHEMA: (set(TAP_SCHEMA_TABLES), "see /tap/tables")}
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    read: set[str] = set()
    for node in tree.walk():
        if isinstance(node, FORBIDDEN):
            raise _refuse(f"{node.key.upper()} is not allowed in ADQL", node)
        if isinstance(node, exp.Func):
            _check_function(node)
        if isinstance(node, exp.Table):
            if not isinstance(node.this, exp.Identifier):
                raise _refuse("only tables may follow FROM or JOIN "
                              f"(not {node.this.sql()[:40]})", node)
            if node.catalog:
                raise _refuse(f"unknown table {node.sql()[:60]}", node)
            schema, name = node.db, node.name
            if schema:
                names, hint = schemas.get(schema.upper(), (set(), "see /tap/tables"))
                if name.lower() not in names:
                    raise _refuse(f"unknown table {schema}.{name} ({hint})", node)
                read.add(f"{schema.upper()}.{name.lower()}")
            elif name.lower() in ctes:
                continue
            elif name.lower() not in known_l:
                raise _refuse(f"unknown table {name} (see /tap/tables)", node)
            else:
                read.add(name.lower())
    return read


def _top(tree: exp.Expr) -> int | None:
    limit = tree.args.get("limit") if isinstance(tree, exp.Select) else None
    if limit is None:
        return None
    value = limit.expression
    if not (isinstance(value, exp.Literal) and not value.is_string):
        raise _refuse("TOP takes a whole number", tree)
    try:
        n = int(value.this)
    except ValueError:
        raise _refuse("TOP takes a whole number", tree) from None
    if n < 0:
        raise _refuse("TOP must be >= 0", tree)
    # DuckDB's LIMIT is a 64-bit integer: a bigger TOP means "all rows"
    if n >= 2**62:
        limit.set("expression", exp.Literal.number(2**62))
    return n


def _flag(node: exp.Expr) -> int | None:
    return int(node.this) if (isinstance(node, exp.Literal) and not node.is_string
                              and node.this in ("0", "1")) else None


def _geometry(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.EQ):  # CONTAINS(...) = 1 → the condition itself (joins use it)
        for pred, other in ((node.this, node.expression), (node.expression, node.this)):
            if geo.func_name(pred) in geo.PREDICATES and _flag(other) is not None:
                cond = geo.condition(pred)
                return exp.paren(cond) if _flag(other) else exp.Not(this=exp.paren(cond))
    name = geo.func_name(node)
    if name in geo.PREDICATES or name in geo.SCALARS:
        return geo.rewrite(node)
    return node


def _served(schema: str, name: str) -> str:
    """The registered relation that serves ``schema.name``."""
    upper = schema.upper()
    if upper == TAP_SCHEMA:
        return tap_schema_name(name)
    if upper == tap_upload.SCHEMA:
        return tap_upload.relation(name)
    if upper == tap_runs.SCHEMA.upper():
        return tap_runs.relation(name)
    return tap_samples.relation(name)


def _tap_schema(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Table) and node.db and node.db.upper() in QUALIFIED:
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
        return exp.Table(this=exp.to_identifier(_served(node.db, node.name)), alias=alias)
    if (isinstance(node, exp.Column) and isinstance(node.args.get("db"), exp.Identifier)
            and node.args["db"].name.upper() in QUALIFIED):
        node = node.copy()  # TAP_UPLOAD.t.col: the table is already aliased as t
        node.set("db", None)
    return node


def translate(text: str, known: Iterable[str],
              cones: dict[str, list[str]] | None = None, uploads: Iterable[str] = (),
              samples: Iterable[str] = (), runs: Iterable[str] = ()) -> Query:
    """Check ADQL ``text`` and translate it to DuckDB SQL.

    ``cones`` (catalog → served columns) names the catalogs on which a cone constraint
    takes the HEALPix-pruned path of ``Store.cone`` (see :mod:`xcat.server.adql_cone`).
    """
    tree = parse(text)
    tables = check(tree, known, uploads, samples, runs)
    units = _units(tree)
    top = _top(tree)
    found = adql_cone.plan(tree, cones) if cones else None
    cone = None
    if found is not None:
        cone, tree = found
    for shape_node in list(tree.walk()):
        if geo.func_name(shape_node) in geo.SHAPES and not isinstance(
                shape_node.parent, (exp.Anonymous, exp.Contains)):
            raise _refuse(f"{geo.func_name(shape_node)} can only be an argument of "
                          "CONTAINS, INTERSECTS, DISTANCE or COORD1/COORD2 here", shape_node)
    tree = tree.transform(_geometry).transform(_tap_schema)
    try:
        sql = tree.sql(dialect="duckdb", identify=True)
    except sqlglot.errors.SqlglotError as e:
        raise XcatError(f"cannot translate this ADQL: {e}") from None
    return Query(sql=sql, top=top, tables=tables, tree=tree, cone=cone, units=units)

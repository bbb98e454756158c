"""The pruned path for ADQL cones: ``CONTAINS(POINT(ra, dec), CIRCLE(ra0, dec0, r)) = 1``
on one catalog, as the whole WHERE clause or one of its AND terms, is answered by
``Store.cone`` (HEALPix prefilter: partition files, row groups, sorted index ranges, then
the exact distance) instead of a scan of every row.

:func:`plan` finds such a cone in a parsed query (before geometry is rewritten); the
query then reads the cone's rows, registered as :data:`HITS`, in place of the catalog,
and the CONTAINS term becomes TRUE (the cone already applied it, with the same
great-circle test).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot.expressions as exp

from xcat.errors import XcatError
from xcat.server import adql_geometry as geo

#: Name under which the cone's rows are registered in the query's connection.
HITS = "cone__hits"


@dataclass
class Cone:
    """A cone to answer with ``Store.cone`` and the catalog's columns to keep."""

    catalog: str
    ra: float
    dec: float
    radius: float
    columns: list[str]


def _number(node: exp.Expr) -> float | None:
    sign = 1.0
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Neg):
        sign, node = -1.0, node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return sign * float(node.this)
        except ValueError:
            return None
    return None


def _terms(where: exp.Expr) -> list[exp.Expr]:
    if isinstance(where, exp.And):
        return _terms(where.this) + _terms(where.expression)
    return [where]


def _contains_eq_1(term: exp.Expr) -> exp.Expr | None:
    """The CONTAINS node of ``CONTAINS(...) = 1`` or ``1 = CONTAINS(...)``."""
    if not isinstance(term, exp.EQ):
        return None
    for a, b in ((term.this, term.expression), (term.expression, term.this)):
        if geo.func_name(a) == "CONTAINS" and _number(b) == 1:
            return a
    return None


def plan(tree: exp.Expr, catalogs: dict[str, list[str]]) -> tuple[Cone, exp.Expr] | None:
    """A cone of ``tree`` that ``Store.cone`` can answer, and the tree reading
    :data:`HITS` instead (None when the query has no such cone).

    ``catalogs`` maps each cone-searchable catalog to its served columns.
    """
    if not isinstance(tree, exp.Select) or tree.args.get("joins") or tree.args.get("with_"):
        return None
    source = tree.args.get("from_") or tree.args.get("from")
    where = tree.args.get("where")
    if source is None or where is None or not isinstance(source.this, exp.Table):
        return None
    table = source.this
    name = table.name.lower()
    if table.db or name not in catalogs:
        return None
    alias = table.alias_or_name
    for term in _terms(where.this):
        node = _contains_eq_1(term)
        if node is None:
            continue
        try:
            point, circle = geo.shape(node.this), geo.shape(node.expression)
        except XcatError:  # not a cone: the general path reports it
            continue
        if point.kind != "POINT" or circle.kind != "CIRCLE":
            continue
        cols = [a for a in point.args if isinstance(a, exp.Column)]
        if len(cols) != 2 or [c.name.lower() for c in cols] != ["ra", "dec"] or any(
                c.table and c.table.lower() != alias.lower() for c in cols):
            continue
        values = [_number(a) for a in circle.args]
        if any(v is None for v in values) or not 0 < values[2] <= 180:
            continue
        cone = Cone(name, values[0], values[1], values[2], catalogs[name])
        new = tree.copy()
        new_where = new.args["where"]
        # the same term in the copy: found by its position among the AND terms
        index = _terms(where.this).index(term)
        target = _terms(new_where.this)[index]
        target.replace(exp.true())
        projection = exp.select(*[exp.column(c, quoted=True) for c in cone.columns]).from_(
            exp.to_identifier(HITS))
        new_source = new.args.get("from_") or new.args.get("from")
        new_source.this.replace(exp.Subquery(
            this=projection, alias=exp.TableAlias(this=exp.to_identifier(alias))))
        return cone, new
    return None

"""ADQL geometry (POINT, CIRCLE, BOX, POLYGON, CONTAINS, INTERSECTS, DISTANCE, COORD1/2)
rewritten into plain DuckDB arithmetic on sqlglot trees, all in degrees (ICRS).

Shapes exist only as arguments: ``CONTAINS(POINT(ra, dec), CIRCLE(ra0, dec0, r)) = 1``
becomes an exact great-circle test (haversine, the formula of ``Store.cone``). BOX is
the coordinate box of ADQL 2.0 (|Δdec| ≤ h/2, |Δra| wrapped ≤ w/2); POLYGON is
point-in-polygon on (ra relative to the first vertex, dec): exact for the small fields
a catalog query asks about, not for polygons that cross a pole.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
import sqlglot.expressions as exp

from xcat.errors import XcatError

SHAPES = {"POINT", "CIRCLE", "BOX", "POLYGON"}
PREDICATES = {"CONTAINS", "INTERSECTS"}
SCALARS = {"DISTANCE", "COORD1", "COORD2"}
NAMES = SHAPES | PREDICATES | SCALARS | {"AREA", "CENTROID", "REGION", "COORDSYS"}


@dataclass
class Shape:
    """A geometry argument: its kind and its numeric arguments."""

    kind: str
    args: list[exp.Expr]


def _sql(text: str, **values: exp.Expr) -> exp.Expr:
    """Parse a DuckDB expression template and put ``values`` in place of its columns."""
    tree = sqlglot_parse(text)

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return exp.paren(values[node.name].copy(), copy=False)
        return node
    return tree.transform(swap)


def sqlglot_parse(text: str) -> exp.Expr:
    """A DuckDB expression parsed by sqlglot."""
    return sqlglot.parse_one(text, read="duckdb")


def func_name(node: exp.Expr) -> str | None:
    """Upper-case ADQL geometry name of a function node, or None."""
    if isinstance(node, exp.Anonymous):
        name = str(node.this).upper()
    elif isinstance(node, exp.Contains):
        name = "CONTAINS"
    else:
        return None
    return name if name in NAMES else None


def _args(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Contains):
        return [node.this, node.expression]
    return list(node.expressions)


def shape(node: exp.Expr) -> Shape:
    """A geometry argument; a leading coordinate-system string (ADQL 2.0) is dropped."""
    name = func_name(node)
    if name not in SHAPES:
        raise XcatError(f"expected POINT, CIRCLE, BOX or POLYGON, got {node.sql()[:60]}")
    args = _args(node)
    if args and isinstance(args[0], exp.Literal) and args[0].is_string:
        args = args[1:]
    need = {"POINT": 2, "CIRCLE": 3, "BOX": 4}
    if name in need and len(args) != need[name]:
        raise XcatError(f"{name} takes {need[name]} numeric arguments, got {len(args)}")
    if name == "POLYGON" and (len(args) < 6 or len(args) % 2):
        raise XcatError("POLYGON takes at least 3 vertices (pairs of ra, dec)")
    return Shape(name, args)


HAVERSINE = ("degrees(2 * asin(least(1.0, sqrt(pow(sin(radians(d2 - d1) / 2), 2) + "
             "cos(radians(d1)) * cos(radians(d2)) * pow(sin(radians(a2 - a1) / 2), 2)))))")


def distance(a1: exp.Expr, d1: exp.Expr, a2: exp.Expr, d2: exp.Expr) -> exp.Expr:
    """Great-circle distance in degrees between two positions (degrees)."""
    return _sql(HAVERSINE, a1=a1, d1=d1, a2=a2, d2=d2)


def _as_int(cond: exp.Expr) -> exp.Expr:
    return exp.Case(ifs=[exp.If(this=cond, true=exp.Literal.number(1))],
                    default=exp.Literal.number(0))


def _wrapped(delta: exp.Expr) -> exp.Expr:
    """An RA difference brought into [-180, 180)."""
    return _sql("(((x + 180) % 360) + 360) % 360 - 180", x=delta)


def _in_box(p: Shape, box: Shape) -> exp.Expr:
    ra, dec = p.args
    ra0, dec0, w, h = box.args
    return _sql("abs(d - d0) <= h / 2 AND abs(dra) <= w / 2", d=dec, d0=dec0, h=h, w=w,
                dra=_wrapped(_sql("a - a0", a=ra, a0=ra0)))


def _in_polygon(p: Shape, poly: Shape) -> exp.Expr:
    ra, dec = p.args
    a0 = poly.args[0]
    xs = [_wrapped(_sql("a - a0", a=a, a0=a0)) for a in poly.args[0::2]]
    ys = poly.args[1::2]
    x = _wrapped(_sql("a - a0", a=ra, a0=a0))
    terms = []
    n = len(xs)
    for i in range(n):
        j = (i + 1) % n
        # ray casting: edge (i, j) straddles the point's dec and crosses east of it
        terms.append(_sql(
            "CASE WHEN ((yi > y) <> (yj > y)) AND (x < (xj - xi) * (y - yi) / (yj - yi) + xi)"
            " THEN 1 ELSE 0 END", yi=ys[i], yj=ys[j], xi=xs[i], xj=xs[j], x=x, y=dec))
    total = terms[0]
    for t in terms[1:]:
        total = exp.Add(this=total, expression=t)
    return _sql("s % 2 = 1", s=total)


def contains_condition(a: Shape, b: Shape) -> exp.Expr:
    """``CONTAINS(a, b)`` as a boolean condition.

    A point in a circle also gets the declination band ``|dec - dec0| <= r`` (implied by
    the distance, so never a row lost): with columns on both sides (an upload joined to
    a catalog) DuckDB turns it into a range join instead of comparing every pair.
    """
    if a.kind == "POINT" and b.kind == "CIRCLE":
        return _sql("d BETWEEN d0 - r AND d0 + r AND dist <= r", d=a.args[1],
                    d0=b.args[1], r=b.args[2], dist=distance(*a.args, *b.args[:2]))
    if a.kind == "POINT" and b.kind == "BOX":
        return _in_box(a, b)
    if a.kind == "POINT" and b.kind == "POLYGON":
        return _in_polygon(a, b)
    if a.kind == "CIRCLE" and b.kind == "CIRCLE":
        return _sql("dist + r1 <= r2", dist=distance(*a.args[:2], *b.args[:2]),
                    r1=a.args[2], r2=b.args[2])
    raise XcatError(f"CONTAINS({a.kind}, {b.kind}) is not supported "
                    "(POINT in CIRCLE/BOX/POLYGON, CIRCLE in CIRCLE)")


def intersects_condition(a: Shape, b: Shape) -> exp.Expr:
    """``INTERSECTS(a, b)`` as a boolean condition."""
    if a.kind == "POINT":
        return contains_condition(a, b)
    if b.kind == "POINT":
        return contains_condition(b, a)
    if a.kind == "CIRCLE" and b.kind == "CIRCLE":
        return _sql("dist <= r1 + r2", dist=distance(*a.args[:2], *b.args[:2]),
                    r1=a.args[2], r2=b.args[2])
    raise XcatError(f"INTERSECTS({a.kind}, {b.kind}) is not supported "
                    "(POINT with any shape, CIRCLE with CIRCLE)")


def condition(node: exp.Expr) -> exp.Expr:
    """A CONTAINS or INTERSECTS node as a boolean condition (``pred = 1`` in ADQL)."""
    args = _args(node)
    if func_name(node) == "CONTAINS":
        return contains_condition(shape(args[0]), shape(args[1]))
    return intersects_condition(shape(args[0]), shape(args[1]))


def rewrite(node: exp.Expr) -> exp.Expr:
    """One geometry function node → DuckDB expression (children already rewritten
    except shapes, which are read here).
    """
    name = func_name(node)
    args = _args(node)
    if name in PREDICATES:
        return _as_int(condition(node))
    if name == "DISTANCE":
        if len(args) == 4:
            return distance(*args)
        if len(args) == 2:
            a, b = shape(args[0]), shape(args[1])
            if a.kind == b.kind == "POINT":
                return distance(*a.args, *b.args)
        raise XcatError("DISTANCE takes two POINTs or four numbers")
    if name in ("COORD1", "COORD2"):
        if len(args) != 1:
            raise XcatError(f"{name} takes one POINT")
        p = shape(args[0])
        if p.kind != "POINT":
            raise XcatError(f"{name} takes a POINT")
        return p.args[0 if name == "COORD1" else 1].copy()
    if name in SHAPES:
        raise XcatError(f"{name} can only be an argument of CONTAINS, INTERSECTS, DISTANCE "
                        "or COORD1/COORD2 here (no geometry-valued columns)")
    raise XcatError(f"ADQL function {name} is not supported")

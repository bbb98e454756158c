"""What the figures need besides the rows: the hardness ratios' band definitions, the
intra-/inter-observation variability probabilities of CSC-like catalogs, and the
confidence of the upper limits (all looked up in the store).
"""

from __future__ import annotations

from typing import Any

from xcat.errors import XcatError
from xcat.store.db import Database
from xcat.store.sqlbuild import render

BANDS_SQL = "SELECT DISTINCT hr1_bands, hr2_bands, hr3_bands FROM xray_sources"
#: Catalogs whose rows carry CSC's broad-band variability probabilities by source name.
VAR_CATALOGS_SQL = (
    "SELECT catalog FROM catalog_columns "
    "WHERE name IN ('name', 'var_intra_prob_b', 'var_inter_prob_b') "
    "GROUP BY catalog HAVING count(DISTINCT name) = 3 ORDER BY catalog")
VARIABILITY = {"var_intra_prob": "var_intra_prob_b", "var_inter_prob": "var_inter_prob_b"}


def hr_bands(store: Database) -> dict[str, str]:
    """``{hr1: "hard_hs (h-s)/(h+s): 2.0-7.0 vs 0.5-1.2 keV", hard_hs: ..., ...}`` for each
    hardness ratio defined the same way by every X-ray catalog of the store.
    """
    try:
        rows = store.sql(BANDS_SQL)
    except XcatError:  # no X-ray catalog: no xray_sources view
        return {}
    out: dict[str, str] = {}
    for i in (1, 2, 3):
        values = rows[f"hr{i}_bands"].dropna().unique()
        if len(values) == 1:
            text = str(values[0])
            out[f"hr{i}"] = text
            out[text.split()[0]] = text  # the catalog's own column name, e.g. hard_hs
    return out


def hr_label(column: str, bands: dict[str, str]) -> str:
    """Axis label naming the bands: ``HR hard_hs = (h-s)/(h+s); h 2.0-7.0, s 0.5-1.2 keV``."""
    text = bands.get(column)
    if not text:
        return f"hardness ratio {column} (bands not recorded)"
    name, _, rest = text.partition(" ")
    formula, _, energies = rest.partition(": ")
    letters = formula.strip("()").split("/")[0].strip("()").split("-")
    ranges = energies.removesuffix(" keV").split(" vs ")
    if len(letters) == 2 and len(ranges) == 2:
        return (f"HR {name} = {formula}\n{letters[0]}: {ranges[0]} keV, "
                f"{letters[1]}: {ranges[1]} keV")
    return f"HR {text}"


def with_variability(store: Database, df: Any) -> Any:
    """``df`` (with ``name``) plus ``var_intra_prob``/``var_inter_prob`` from the store's
    catalogs that have CSC's broad-band probabilities (unchanged when none has them).
    """
    if "name" not in df.columns or set(VARIABILITY) <= set(df.columns):
        return df
    import pandas as pd
    import sqlalchemy as sa

    parts = []
    for cat in store.sql(VAR_CATALOGS_SQL)["catalog"]:
        stmt = sa.select(sa.column("name"), *(sa.column(src).label(dst)
                                              for dst, src in VARIABILITY.items())
                         ).select_from(sa.table(cat))
        parts.append(store.sql(render(stmt)))
    if not parts:
        return df
    found = pd.concat(parts).groupby("name", as_index=False).max()
    return df.drop(columns=[c for c in VARIABILITY if c in df.columns]).merge(
        found, on="name", how="left")

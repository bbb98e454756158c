"""``xcat distance``: distances of individual sources (stars) from a counterpart's
parallax or distance column, through a stored cross-match run; calls
:mod:`xcat.science.source_distances`. Host-galaxy distances stay with ``xcat host``.
"""

from __future__ import annotations

from typing import Any

import click

from xcat.cli.app import cli, emit, open_store, rows_options, show


@cli.group()
def distance() -> None:
    """Distances of individual sources (parallaxes, distance catalogs).

    Example: xcat distance from-parallax --catalog carmenes --run cx --parallax Plx
    --parallax-err ePlx
    """


def _summary(r: dict[str, Any], what: str) -> str:
    unit = ", parallax unit assumed mas" if r["unit_source"] == "assumed" else ""
    return (f"{r['source_catalog']}: {r['linked']} sources with a counterpart, "
            f"{r['with_value']} with {what}, {r['passed']} kept; {r['recorded']} distances "
            f"recorded, {r['adopted']} adopted, {r['repeats']} already stored{unit}")


@distance.command("from-parallax")
@click.option("--catalog", required=True, help="Counterpart catalog with parallaxes.")
@click.option("--run", required=True, help="Cross-match run linking sources and counterparts.")
@click.option("--parallax", default="parallax", show_default=True, help="Parallax column.")
@click.option("--parallax-err", default="parallax_error", show_default=True,
              help="Column of the parallax's 1-sigma error.")
@click.option("--min-snr", type=float, default=5.0, show_default=True,
              help="Keep counterparts with parallax/error >= this (> 1).")
@click.option("--zero-point", default="0mas", show_default=True,
              help="Parallax zero point subtracted, with a unit: -0.017mas.")
@click.option("--unit", default=None,
              help="Unit of the parallax columns when the catalog records none (default mas).")
@click.option("--ref", default=None, help="Reference of the counterpart catalog (bibcode).")
@click.option("--no-adopt", is_flag=True,
              help="Record without adopting (a source's first distance is adopted anyway).")
@click.pass_context
def from_parallax(ctx: click.Context, catalog: str, run: str, parallax: str,
                  parallax_err: str, min_snr: float, zero_point: str, unit: str | None,
                  ref: str | None, no_adopt: bool) -> None:
    """Distances d = 1/parallax of each source's best counterpart in a run.

    Example: xcat distance from-parallax --catalog carmenes --run carmenes_rxs2
    --parallax Plx --parallax-err ePlx --ref 2020A&A...642A.115C
    """
    from xcat.science.source_distances import distances_from_parallax

    with open_store(ctx) as store:
        r = distances_from_parallax(store, catalog, run, parallax=parallax,
                                    parallax_err=parallax_err, min_snr=min_snr,
                                    zero_point=zero_point, unit=unit, reference=ref,
                                    adopt=not no_adopt)
    emit(_summary(r, f"a parallax and error (cut parallax/error >= {min_snr:g})"))


@distance.command("from-column")
@click.option("--catalog", required=True, help="Counterpart catalog with distances.")
@click.option("--run", required=True, help="Cross-match run linking sources and counterparts.")
@click.option("--column", required=True, help="Distance column (r_med_geo, d_pc).")
@click.option("--lo", default=None, help="Column of the lower bound (r_lo_geo).")
@click.option("--hi", default=None, help="Column of the upper bound (r_hi_geo).")
@click.option("--err", default=None, help="Column of a symmetric 1-sigma error (ed_pc).")
@click.option("--unit", default=None, help="Unit of the columns when the catalog records none: pc.")
@click.option("--ref", default=None, help="Reference of the distances (bibcode).")
@click.option("--no-adopt", is_flag=True,
              help="Record without adopting (a source's first distance is adopted anyway).")
@click.pass_context
def from_column(ctx: click.Context, catalog: str, run: str, column: str, lo: str | None,
                hi: str | None, err: str | None, unit: str | None, ref: str | None,
                no_adopt: bool) -> None:
    """Distances from a distance column of each source's best counterpart in a run.

    Example: xcat distance from-column --catalog bj21 --run rxs2_bj21 --column r_med_geo
    --lo r_lo_geo --hi r_hi_geo --ref 2021AJ....161..147B
    """
    from xcat.science.source_distances import distances_from_column

    with open_store(ctx) as store:
        r = distances_from_column(store, catalog, run, column=column, lo=lo, hi=hi, err=err,
                                  unit=unit, reference=ref, adopt=not no_adopt)
    emit(_summary(r, f"a distance in {column}"))


@distance.command("list")
@click.option("--catalog", default=None, help="Only sources of this catalog.")
@rows_options
@click.pass_context
def distance_list(ctx: click.Context, catalog: str | None, fmt: str, out: str | None) -> None:
    """Sources with an adopted distance of their own.

    Example: xcat distance list --catalog rxs2
    """
    from xcat.science.source_distances import list_source_distances

    with open_store(ctx) as store:
        show(list_source_distances(store, catalog), fmt, out)


@distance.command("show")
@click.argument("source")
@click.option("--catalog", default=None, help="Catalog of the source.")
@rows_options
@click.pass_context
def distance_show(ctx: click.Context, source: str, catalog: str | None, fmt: str,
                  out: str | None) -> None:
    """Every distance recorded for a source, the adopted one marked.

    Example: xcat distance show "2RXS J000001.0+000001"
    """
    from xcat.science.source_distances import source_distances

    with open_store(ctx) as store:
        show(source_distances(store, source, catalog), fmt, out)


@distance.command("adopt")
@click.argument("source")
@click.argument("distance_id", type=int)
@click.option("--catalog", default=None, help="Catalog of the source.")
@click.option("--note", default=None, help="Why.")
@click.pass_context
def distance_adopt(ctx: click.Context, source: str, distance_id: int, catalog: str | None,
                   note: str | None) -> None:
    """Adopt one of a source's distances (ids from 'xcat distance show').

    Example: xcat distance adopt "2RXS J000001.0+000001" 7
    """
    from xcat.science.source_distances import adopt_source_distance

    with open_store(ctx) as store:
        adopt_source_distance(store, source, distance_id, catalog=catalog, note=note)
    emit(f"source {source}: adopted distance {distance_id}")


@distance.command("withdraw")
@click.argument("source")
@click.option("--catalog", default=None, help="Catalog of the source.")
@click.option("--note", default=None, help="Why.")
@click.pass_context
def distance_withdraw(ctx: click.Context, source: str, catalog: str | None,
                      note: str | None) -> None:
    """Stop using a source's own distance (its host's is used again; history kept).

    Example: xcat distance withdraw "2RXS J000001.0+000001"
    """
    from xcat.science.source_distances import adopt_source_distance

    with open_store(ctx) as store:
        adopt_source_distance(store, source, None, catalog=catalog, note=note)
    emit(f"source {source}: own distance withdrawn")


@distance.command("plot")
@click.option("--catalog", default=None, help="Only sources of this catalog (rxs2).")
@click.option("--versus", default=None,
              help="Also against this column of the counterpart catalog (SpTnum, Lbol).")
@click.option("--title", default="", help="Figure title.")
@click.option("-o", "--output", "out", required=True, help="Figure file (.png or .pdf).")
@click.pass_context
def distance_plot(ctx: click.Context, catalog: str | None, versus: str | None, title: str,
                  out: str) -> None:
    """The X-ray luminosity of sources with their own distance, against distance.

    Example: xcat distance plot --catalog rxs2 --versus SpTnum -o mdwarfs_lx.png
    """
    from xcat.output.lx_distance import draw

    with open_store(ctx) as store:
        path = draw(store, out, catalog=catalog, versus=versus, title=title)
    emit(f"wrote {path}")

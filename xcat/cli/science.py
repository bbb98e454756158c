"""Science commands: ``xcat host``, ``xcat classify``, ``xcat history``, ``xcat flags``,
``xcat ecf``.

Each command parses its options and calls :mod:`xcat.science.hosts`,
:mod:`xcat.science.classification`, :mod:`xcat.science.flags`,
:mod:`xcat.science.footprint` or :mod:`xcat.science.luminosity`; rows are printed by
:func:`xcat.cli.app.show`.
"""

from __future__ import annotations

import click

from xcat.cli.app import cli, emit, open_store, rows_options, show
from xcat.errors import XcatError


# ---------------------------------------------------------------------- hosts
@cli.group()
def host() -> None:
    """Host galaxies and their distances.  Example: xcat host list"""


@host.command("add")
@click.argument("name")
@click.option("--alias", multiple=True, help="Another name (repeatable): 'NGC 5457'.")
@click.option("--ra", type=float, default=None, help="Centre RA, deg.")
@click.option("--dec", type=float, default=None, help="Centre Dec, deg.")
@click.option("--distance", default=None, help="Distance with a unit: 6.4Mpc.")
@click.option("--distance-err", default=None, help="Distance error with a unit: 0.5Mpc.")
@click.option("--method", default=None, help="Distance method (Cepheid, TRGB, ...).")
@click.option("--ref", default=None, help="Distance reference (bibcode).")
@click.option("--ellipse", default=None, help="A,B,PA: semi-axes and position angle "
              "(14.4arcmin,13.4arcmin,30deg; each with a unit).")
@click.option("--radius", default=None, help="Membership radius without an ellipse: 15arcmin.")
@click.option("--no-adopt", is_flag=True, help="Record the distance without adopting it.")
@click.pass_context
def host_add(ctx: click.Context, name: str, alias: tuple[str, ...], ra: float | None,
             dec: float | None, distance: str | None, distance_err: str | None,
             method: str | None, ref: str | None, ellipse: str | None, radius: str | None,
             no_adopt: bool) -> None:
    """Add a host or update it (position, boundary, another distance).

    Example: xcat host add M101 --alias "NGC 5457" --ra 210.802368 --dec 54.349023
    --distance 6.4Mpc --distance-err 0.5Mpc --method Cepheid --ref 2011ApJ...733..124S
    --radius 15arcmin
    """
    from xcat.science.hosts import add_host

    ell = None
    if ellipse:
        parts = [p.strip() for p in ellipse.split(",")]
        if len(parts) != 3:
            raise XcatError(f"--ellipse '{ellipse}': give A,B,PA")
        ell = (parts[0], parts[1], parts[2])
    with open_store(ctx) as store:
        r = add_host(store, name, aliases=list(alias), ra=ra, dec=dec, distance=distance,
                     distance_err=distance_err, method=method, reference=ref, ellipse=ell,
                     radius=radius, adopt=not no_adopt)
    what = "added" if r["created"] else "updated"
    dist = f", distance id {r['distance_id']}" if r["distance_id"] else ""
    emit(f"host {r['host']} {what}{dist}")


@host.command("load")
@click.argument("file", type=click.Path())
@click.option("--preset", type=click.Choice(["50mgc", "legus"]), default=None,
              help="File format (detected from the columns when omitted).")
@click.option("--only", default=None, help="Comma-separated galaxies to load.")
@click.pass_context
def host_load(ctx: click.Context, file: str, preset: str | None, only: str | None) -> None:
    """Load a galaxy-distance catalog (50MGC FITS, LEGUS table).

    Example: xcat host load ../shared/data/galaxy_distances_50mgc/catalog_short.fits
    """
    from xcat.science.hosts import load_hosts

    with open_store(ctx) as store:
        r = load_hosts(store, file, preset=preset,
                       only=[s.strip() for s in only.split(",")] if only else None)
    emit(f"{r['hosts']} new hosts, {r['distances']} new distances, {r['adopted']} adopted")


@host.command("adopt")
@click.argument("name")
@click.argument("distance_id", type=int)
@click.option("--note", default=None, help="Why.")
@click.pass_context
def host_adopt(ctx: click.Context, name: str, distance_id: int, note: str | None) -> None:
    """Adopt one of a host's distances (ids from 'xcat host show').

    Example: xcat host adopt M101 2
    """
    from xcat.science.hosts import adopt_distance

    with open_store(ctx) as store:
        adopt_distance(store, name, distance_id, note)
    emit(f"host {name}: adopted distance {distance_id}")


@host.command("list")
@click.argument("name", required=False)
@rows_options
@click.pass_context
def host_list(ctx: click.Context, name: str | None, fmt: str, out: str | None) -> None:
    """Hosts with their adopted distance (all that have a distance or boundary).

    Example: xcat host list M101
    """
    from xcat.science.hosts import list_hosts

    with open_store(ctx) as store:
        show(list_hosts(store, name), fmt, out)


@host.command("show")
@click.argument("name")
@rows_options
@click.pass_context
def host_show(ctx: click.Context, name: str, fmt: str, out: str | None) -> None:
    """Every distance recorded for a host, the adopted one marked.

    Example: xcat host show M101
    """
    from xcat.science.hosts import host_distances

    with open_store(ctx) as store:
        show(host_distances(store, name), fmt, out)


# ---------------------------------------------------------------------- classification
@cli.command()
@click.argument("source", required=False)
@click.option("--class", "cls", default=None, help="Class from the vocabulary (AGN, XRB, ...).")
@click.option("--best-star", default=None, help="Id of the best counterpart.")
@click.option("--mass", default=None, help="Donor mass class: LMXB, IMXB or HMXB.")
@click.option("--alias", "alias", default=None,
              help="Store a short ID for SOURCE (CXO001, M101X001), usable as its name.")
@click.option("--note", default=None, help="Free text.")
@click.option("--author", default=None, help="Who decides (default $XCAT_AUTHOR or login).")
@click.option("--catalog", default="csc", show_default=True, help="Catalog of the source(s).")
@click.option("--import", "import_file", default=None, type=click.Path(),
              help="Import an XRBID notes CSV or a MUWCLASS class table.")
@click.option("--export", is_flag=True, help="Print the classifications in force.")
@click.option("--vocabulary", is_flag=True, help="List the controlled classes.")
@rows_options
@click.pass_context
def classify(ctx: click.Context, source: str | None, cls: str | None, best_star: str | None,
             mass: str | None, alias: str | None, note: str | None, author: str | None,
             catalog: str,
             import_file: str | None, export: bool, vocabulary: bool, fmt: str,
             out: str | None) -> None:
    """Record a classification (append-only), import or export them.

    An event changes only the fields it gives (the others keep their value; 'xcat history'
    shows every value). SOURCE may be a short alias (--alias CXO001 stores one).

    Examples: xcat classify "2CXO J140312.5+541853" --class AGN --best-star 3 --note "..."
    | xcat classify CXO001 --mass LMXB | xcat classify --import notes.csv
    | xcat classify --export --format csv -o notes.csv
    """
    from xcat.science import classification as c

    modes = sum([bool(source), bool(import_file), export, vocabulary])
    if modes != 1:
        raise XcatError("give SOURCE --class CLASS, --import FILE, --export or --vocabulary")
    with open_store(ctx) as store:
        if vocabulary:
            show(c.vocabulary(store), fmt, out)
        elif export:
            show(c.export_classifications(store, catalog), fmt, out)
        elif import_file:
            r = c.import_classifications(store, import_file, catalog=catalog, author=author)
            emit(f"{r['imported']} classifications imported, {r['skipped']} unchanged")
        else:
            if not (cls or best_star or mass or note or alias):
                raise XcatError("give --class, --best-star, --mass, --note or --alias "
                                "(see 'xcat classify --vocabulary')")
            if alias:
                from xcat.science.aliases import add_alias

                key = add_alias(store, source or "", alias, catalog)
                emit(f"alias {alias} -> {key.strip()}")
            if cls or best_star or mass or note:
                eid = c.classify(store, source or "", cls=cls, catalog=catalog,
                                 best_counterpart=best_star, donor_class=mass, note=note,
                                 author=author)
                cur = c.history(store, source or "", catalog).iloc[-1]
                emit(f"event {eid}: {source} -> {cur['class']}")


@cli.command()
@click.argument("source")
@click.option("--catalog", default="csc", show_default=True, help="Catalog of the source.")
@rows_options
@click.pass_context
def history(ctx: click.Context, source: str, catalog: str, fmt: str, out: str | None) -> None:
    """Every classification event of a source (name or short alias), oldest first.

    Example: xcat history "2CXO J140312.5+541853"
    """
    from xcat.science.classification import history as hist

    with open_store(ctx) as store:
        show(hist(store, source, catalog), fmt, out)


# ---------------------------------------------------------------------- flags
@cli.group()
def flags() -> None:
    """Flag rules (SNR candidates by HR/Lx) and image footprints.  Example: xcat flags list"""


@flags.command("list")
@rows_options
@click.pass_context
def flags_list(ctx: click.Context, fmt: str, out: str | None) -> None:
    """Flag rules with their conditions (change them in SQL: flag_rule_conditions).

    Example: xcat flags list
    """
    from xcat.science.flags import flag_rules

    with open_store(ctx) as store:
        show(flag_rules(store), fmt, out)


@flags.command("summary")
@rows_options
@click.pass_context
def flags_summary(ctx: click.Context, fmt: str, out: str | None) -> None:
    """How many sources each rule flags true, false, unknown.  Example: xcat flags summary"""
    from xcat.science.flags import flag_summary

    with open_store(ctx) as store:
        show(flag_summary(store), fmt, out)


@flags.command("apply")
@click.option("--rule", default=None, help="Only this rule.")
@click.pass_context
def flags_apply(ctx: click.Context, rule: str | None) -> None:
    """Turn flagged sources into rule-made classification proposals, e.g. (SNR).

    Example: xcat flags apply
    """
    from xcat.science.flags import apply_rules

    with open_store(ctx) as store:
        for r, n in apply_rules(store, rule).items():
            emit(f"{r}: {n} new proposals")


@flags.command("footprint")
@click.argument("name", required=False)
@click.option("--fits", default=None, type=click.Path(), help="FITS image or text header.")
@click.option("--hdu", type=int, default=None, help="HDU number (default: first image).")
@click.option("--polygon", default=None, help="'ra1 dec1, ra2 dec2, ...' (deg).")
@click.option("--weight", default=None, type=click.Path(),
              help="Weight map (drizzle WHT): pixels need weight > 0 or >= --min-weight.")
@click.option("--weight-hdu", type=int, default=None, help="HDU of the weight map.")
@click.option("--min-weight", type=float, default=None, help="Smallest weight with data.")
@click.option("--full-rectangle", is_flag=True,
              help="Ignore where the image has data (use the whole pixel rectangle).")
@click.option("--replace", is_flag=True, help="Replace a footprint of the same name.")
@rows_options
@click.pass_context
def flags_footprint(ctx: click.Context, name: str | None, fits: str | None, hdu: int | None,
                    polygon: str | None, weight: str | None, weight_hdu: int | None,
                    min_weight: float | None, full_rectangle: bool, replace: bool, fmt: str,
                    out: str | None) -> None:
    """Add an image footprint (Bounds In/Out in source_footprints), or list them.

    Only pixels with data count (finite, non-zero; with --weight, weight > 0 or
    >= --min-weight): chip gaps, NaN corners and mosaic edges are Out.

    Example: xcat flags footprint acs --fits hst_m101_f555w_drc.fits --weight
    hst_m101_f555w_drc.fits --weight-hdu 2 --min-weight 0.5
    """
    from xcat.science.footprint import add_footprint, list_footprints

    with open_store(ctx) as store:
        if name:
            r = add_footprint(store, name, fits=fits, hdu=hdu, polygon=polygon,
                              replace=replace, weight=weight, weight_hdu=weight_hdu,
                              min_weight=min_weight, use_mask=not full_rectangle)
            mask = (f", valid data: {r['mask']} ({100 * r['valid_fraction']:.1f}% of the "
                    f"pixels, {r['edges']} boundary segments)" if r["mask"] else "")
            emit(f"footprint {r['footprint']}: {r['vertices']} vertices{mask}")
        else:
            show(list_footprints(store), fmt, out)


@cli.command()
@click.argument("kind", required=False)
@click.argument("name", required=False)
@rows_options
@click.pass_context
def ecf(ctx: click.Context, kind: str | None, name: str | None, fmt: str,
        out: str | None) -> None:
    """List energy-conversion factors, or choose one for a catalog kind.

    Example: xcat ecf rxs2 sfg95_coronal
    """
    from xcat.science.luminosity import ecfs, set_ecf

    with open_store(ctx) as store:
        if kind or name:
            if not (kind and name):
                raise XcatError("give KIND and NAME, e.g. xcat ecf rxs2 sfg95_coronal")
            set_ecf(store, kind, name)
        show(ecfs(store), fmt, out)

"""Turn an input table into catalogs ready to store (:class:`CatalogBuild`): positions
in degrees, canonical units, computed columns, checked keys, CSC detections split off.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from xcat.catalog import stream, stream_keys, values
from xcat.catalog.build import (
    ROW_ID,
    CatalogBuild,
    check_name,
    check_unique,
    choose_key,
    choose_key_by,
    parse_map,
)
from xcat.catalog.detections import split_detections
from xcat.errors import XcatError
from xcat.io import coords
from xcat.io.delimited import fold_duplicates
from xcat.io.table import ColumnMeta, InputTable
from xcat.sky import units
from xcat.store import layout, sqlbuild
from xcat.store.kinds import CatalogDefinition, pick

#: Read the next chunk of a streamed ingest on a thread while the current one is sorted.
READ_AHEAD = True


def prepare(inp: InputTable, definition: CatalogDefinition, *, name: str,
            ra: str | None = None, dec: str | None = None, key: str | None = None,
            mapping: str | None = None, pos_err: tuple[str, ...] = (),
            invalid_as_null: bool = False, strict_units: bool = True) -> list[CatalogBuild]:
    """Clean, convert and check ``inp``; return the catalog(s) it becomes.

    ``invalid_as_null`` stores negative, infinite or non-numeric energy fluxes and
    positional errors as NULL (with a warning) instead of refusing them;
    ``strict_units=False`` keeps a unit astropy does not know (a service's answer)
    instead of refusing it (:mod:`xcat.catalog.values`). A table is one chunk of
    :func:`prepare_chunks`.
    """
    return prepare_chunks([inp], definition, name=name, ra=ra, dec=dec, key=key,
                          mapping=mapping, pos_err=pos_err, invalid_as_null=invalid_as_null,
                          strict_units=strict_units)


def prepare_chunks(chunks: Iterable[InputTable], definition: CatalogDefinition, *,
                   name: str, ra: str | None = None, dec: str | None = None,
                   key: str | None = None, mapping: str | None = None,
                   pos_err: tuple[str, ...] = (), invalid_as_null: bool = False,
                   strict_units: bool = True, spill_dir: Path | None = None,
                   progress: Callable[[int], None] | None = None) -> list[CatalogBuild]:
    """:func:`prepare` for an input read in chunks (:func:`xcat.io.chunks.iter_chunks`).

    Every chunk goes through the same preparation (units, values, positions, keys
    present). One chunk gives the table as it is; with more, each prepared chunk is
    sorted by ``_healpix_29`` and kept as a run (:class:`~xcat.catalog.stream.SortedRuns`,
    spilled to disk beyond a memory budget), and the checks that need every row (unique
    key, the key chosen when none is given) run over the runs
    (:mod:`xcat.catalog.stream_keys`). A chunk whose prepared columns differ from the
    first chunk's raises :class:`~xcat.catalog.stream_keys.ChunksDifferError`.
    """
    check_name(name)
    options = {"ra": ra, "dec": dec, "key": key, "mapping": mapping, "pos_err": pos_err,
               "invalid_as_null": invalid_as_null, "strict_units": strict_units}
    it = iter(chunks)
    first = next(it)
    ra_col, dec_col, key_col, renamed = _prepare_chunk(first, definition, **options)
    if progress:
        progress(first.table.num_rows)
    if definition.detections:
        return split_detections(first, definition, name=name, ra=ra_col, dec=dec_col,
                                key=key_col, renamed=renamed)
    second = next(it, None)
    if second is None:
        if key_col:
            check_unique(first.table, [key_col], first.source)
        else:  # no key given: an unambiguous id/name column, else the input row number
            key_col = _choose_key(first)
        return [CatalogBuild(name, definition.kind, first.table, first.meta, ra_col, dec_col,
                             [key_col], notes=first.notes)]
    runs = stream.SortedRuns(spill_dir)
    ahead = _read_ahead(it)
    try:
        ids = stream_keys.IdColumns(first.table)
        _add_run(runs, ids, first, ra_col, dec_col, 0)
        for chunk in itertools.chain([second], ahead):
            offset = runs.num_rows
            try:
                _prepare_chunk(chunk, definition, **options)
            except XcatError as exc:
                raise XcatError(stream_keys.shift_rows(str(exc), offset)) from exc
            stream_keys.same_columns(first, chunk, offset)
            _add_run(runs, ids, chunk, ra_col, dec_col, offset)
            if progress:
                progress(chunk.table.num_rows)
        notes = list(first.notes)
        if key_col:
            stream_keys.check_unique(runs, key_col, first.source)
            runs.rename[stream.ROW_COLUMN] = None
        else:
            key_col, note = choose_key_by(first.table.column_names, ids.unique_in(runs))
            notes.append(note)
            if key_col is None:
                key_col = _row_id_column(first, notes)
            runs.rename[stream.ROW_COLUMN] = None if key_col in first.table.column_names \
                else key_col
    except BaseException:
        runs.drop()
        raise
    finally:
        ahead.close()
    table = runs.output_schema().empty_table().drop_columns([layout.HEALPIX_COLUMN])
    return [CatalogBuild(name, definition.kind, table, first.meta, ra_col, dec_col,
                         [key_col], notes=notes, rows=runs)]


def _read_ahead(chunks: Iterator[InputTable]) -> Iterator[InputTable]:
    """The chunks of ``chunks``, each next one read on a thread while the caller prepares
    and sorts the current one (reading and sorting then share the cores). An error
    reading a chunk is raised where that chunk would have been read.
    """
    if not READ_AHEAD:
        yield from chunks
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xcat-read") as pool:
        pending = pool.submit(next, chunks, None)
        try:
            while (chunk := pending.result()) is not None:
                pending = pool.submit(next, chunks, None)
                yield chunk
        finally:
            pending.cancel()


def _add_run(runs: stream.SortedRuns, ids: stream_keys.IdColumns, chunk: InputTable,
             ra: str, dec: str, offset: int) -> None:
    """Sort a prepared chunk, with its row numbers, into the next run."""
    n = chunk.table.num_rows
    ids.update(chunk.table)
    rows = pa.array(np.arange(offset + 1, offset + n + 1, dtype=np.int64))
    runs.add(*stream.healpix_chunk(chunk.table.append_column(stream.ROW_COLUMN, rows), ra, dec))
    chunk.table = chunk.table.slice(0, 0)  # the run holds the rows now


def _prepare_chunk(inp: InputTable, definition: CatalogDefinition, *, ra: str | None,
                   dec: str | None, key: str | None, mapping: str | None,
                   pos_err: tuple[str, ...], invalid_as_null: bool, strict_units: bool
                   ) -> tuple[str, str, str | None, dict[str, str]]:
    """Clean, convert and check the rows of one chunk in place; return the position and
    key columns and the duplicates renamed.
    """
    renamed = fold_duplicates(inp, keep_identical=definition.detections)
    _apply_map(inp, parse_map(mapping))
    values.check_units(inp, strict=strict_units)
    ra_col, dec_col = coords.find_position_columns(inp, ra or _if_present(inp, definition.ra),
                                                   dec or _if_present(inp, definition.dec))
    ra_arr = coords.to_degrees(inp, ra_col, is_ra=True)
    dec_arr = coords.to_degrees(inp, dec_col, is_ra=False)
    inp.table = _set(_set(inp.table, ra_col, ra_arr), dec_col, dec_arr)
    _assume_units(inp, definition, renamed)
    physical = _canonical_units(inp, definition, pos_err, skip={ra_col, dec_col})
    values.check_values(inp, physical, invalid_as_null=invalid_as_null)
    _computed_columns(inp, definition)
    for col, text in definition.descriptions.items():
        if col in inp.meta and not inp.meta[col].description:
            inp.meta[col].description = text
    key_col = key or definition.key or None
    if key_col and key_col not in inp.table.column_names:
        raise XcatError(f"{inp.source}: no key column '{key_col}'")
    if key_col:
        values.check_keys_present(inp, key_col)
    return ra_col, dec_col, key_col, renamed


def computed_column_query(expr: str) -> str:
    """``SELECT <expr> AS value FROM input_table`` for a computed column's expression
    (from the packaged ``ingest/<kind>`` definition).

    Examples
    --------
    >>> " ".join(computed_column_query("flux_b * 2").split())
    'SELECT flux_b * 2 AS value FROM input_table'
    """
    import sqlalchemy as sa

    return sqlbuild.render(sa.select(sqlbuild.expression(expr).label("value"))
                           .select_from(sa.table("input_table")))


def _computed_columns(inp: InputTable, d: CatalogDefinition) -> None:
    """Add the definition's computed columns whose inputs are all present."""
    have = {c.lower() for c in inp.table.column_names}
    for name, expr in d.computed.items():
        chosen = pick(expr, have)
        if chosen is None or name.lower() in have:
            continue
        con = duckdb.connect()
        con.register("input_table", inp.table)
        value = con.sql(computed_column_query(chosen)).to_arrow_table().column("value")
        con.close()
        inp.table = inp.table.append_column(name, value)
        inp.meta[name] = ColumnMeta(description=d.descriptions.get(name),
                                    source_column=f"computed: {chosen}")


def _if_present(inp: InputTable, col: str) -> str | None:
    return col if col and col in inp.table.column_names else None


def _set(table: pa.Table, name: str, arr: pa.Array) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, arr)


def _apply_map(inp: InputTable, entries: list[tuple[str, str, str | None]]) -> None:
    cols = inp.table.column_names
    for new, old, unit in entries:
        if old not in cols:
            raise XcatError(f"{inp.source}: --map names column '{old}', which the file lacks")
        if new != old and new in cols:
            raise XcatError(f"{inp.source}: --map target '{new}' already exists in the file")
        meta = inp.meta.pop(old, ColumnMeta(source_column=old))
        if unit:
            units.parse_unit(unit, f"--map {new}")
            meta.unit = unit
        elif unit == "":  # NEW=OLD[]: the column has no unit, whatever the file says
            meta.source_unit = f"{meta.unit} (dropped by --map)" if meta.unit else None
            meta.unit = None
        inp.meta[new] = meta
        cols = [new if c == old else c for c in cols]
    inp.table = inp.table.rename_columns(cols)


def _assume_units(inp: InputTable, d: CatalogDefinition, renamed: dict[str, str]) -> None:
    for col in inp.table.column_names:
        meta = inp.column_meta(col)
        assumed = d.assumed_unit(renamed.get(col, col))
        if assumed is None:
            continue
        where = f"{inp.source}: column '{col}'"
        if meta.unit is None:
            meta.unit = assumed
            meta.source_unit = meta.source_unit or f"{assumed} (assumed)"
            continue
        declared = units.parse_unit(meta.unit, where)
        if declared is not None and not declared.is_equivalent(units.parse_unit(assumed, where)):
            raise XcatError(f"{where}: unit '{meta.unit}' cannot be converted to '{assumed}'")


def _canonical_units(inp: InputTable, d: CatalogDefinition, pos_err: tuple[str, ...],
                     skip: set[str]) -> dict[str, str]:
    """Convert positional errors to arcsec and energy fluxes to erg/s/cm2; return those
    columns, each with what it holds (for :func:`xcat.catalog.values.check_values`).
    """
    for col in pos_err:
        if col not in inp.table.column_names:
            raise XcatError(f"{inp.source}: no column '{col}' for --pos-err")
    physical = {}
    for col in inp.table.column_names:
        if col in skip:
            continue
        meta = inp.column_meta(col)
        where = f"{inp.source}: column '{col}'"
        declared = units.parse_unit_lenient(meta.unit)
        is_pos_err = (col in d.position_errors or col in pos_err
                      or (_is_position_error_ucd(meta.ucd) and declared is not None
                          and declared.physical_type == "angle"))
        if is_pos_err:
            target = units.ARCSEC
            physical[col] = "--pos-err" if col in pos_err else "positional error"
        elif units.is_energy_flux(declared):
            target = units.ENERGY_FLUX
            physical[col] = "energy flux"
        else:
            continue
        arr = inp.table.column(col).combine_chunks()
        if meta.unit is None and is_pos_err:
            meta.unit = units.ARCSEC
            meta.source_unit = "arcsec (assumed)"
        inp.table = _set(inp.table, col, units.convert_column(arr, meta.unit, target, where))
        meta.source_unit = meta.source_unit or meta.unit
        meta.unit = target
    return physical


def _is_position_error_ucd(ucd: str | None) -> bool:
    """UCD of a positional error (``stat.error;pos.eq.ra``), not of a proper motion."""
    words = [w.strip().lower() for w in (ucd or "").split(";")]
    if "stat.error" not in words:
        return False
    return any(w in ("pos", "pos.eq", "pos.eq.ra", "pos.eq.dec", "pos.errorellipse")
               for w in words)


def _choose_key(inp: InputTable) -> str:
    """Pick the key of a table ingested without one (a note says which): see
    :func:`xcat.catalog.build.choose_key`; else add ``row_id`` = input row number.
    """
    key_col, note = choose_key(inp.table)
    inp.notes.append(note)
    if key_col is not None:
        return key_col
    name = _row_id_column(inp, inp.notes)
    inp.table = inp.table.append_column(name, pa.array(range(1, inp.table.num_rows + 1),
                                                       pa.int64()))
    return name


def _row_id_column(inp: InputTable, notes: list[str]) -> str:
    """Name and describe the row-number key column (the last note says it)."""
    name = ROW_ID if ROW_ID not in inp.table.column_names else f"xcat_{ROW_ID}"
    inp.meta[name] = ColumnMeta(description="Row number in the input file (1-based), the "
                                "key xcat chose: no unique id/name column was given")
    if name != ROW_ID:
        notes[-1] = notes[-1].replace(f"'{ROW_ID}'", f"'{name}'")
    return name


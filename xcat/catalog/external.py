"""HATS catalogs xcat did not write: an existing catalog registered in place (e.g. a
public HATS catalog, or one made by hats-import), without copying it.

xcat never writes into, moves or removes an external catalog's folder. Registration
writes a small *link version* inside the store instead (``catalogs/<name>-<token>/``,
like any catalog version): its own ``hats.properties`` (``hats_npix_suffix=/`` and
``xcat_external=<path>``), ``partition_info.csv``, ``dataset/_common_metadata`` and
``dataset/_metadata``, and for each partition ``dataset/Norder=k/Dir=d/Npix=n/Npix=n.parquet``
as a symbolic link to the external file (hats-import's ``Npix=n.parquet`` or xcat's
``Npix=n/Npix=n.parquet``); the margin catalog, when there is one, the same way in
``margin/``. Every reader of xcat (cone, SQL views, cross-match, verify, LSDB) then reads
an external catalog like its own, and every cleanup (``--replace``, leftovers, a margin
rebuild) removes the link version only: removing a folder of links removes the links,
never the files they point at.

The external files must be sorted by ``_healpix_29`` within each file (hats-import
writes them so and records it as the Parquet ``sorting_columns``; otherwise the column
is read and checked).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xcat.catalog.build import CatalogBuild, check_name, choose_key_by
from xcat.errors import XcatError
from xcat.io.table import ColumnMeta
from xcat.sky import healpix
from xcat.store import layout, upkeep

#: ``hats.properties`` key of a link version naming the external catalog it links to.
EXTERNAL_KEY = "xcat_external"
#: Footers read at once when a catalog is registered.
READ_THREADS = 8


@dataclass
class HatsFiles:
    """One HATS catalog on disk: its folder, properties, partitions and their files."""

    folder: Path
    props: dict[str, str]
    parts: list[tuple[int, int]]   # of each file (a margin may hold several a partition)
    files: list[Path]
    schema: pa.Schema
    footers: list[pq.FileMetaData] = field(repr=False)

    @property
    def n_rows(self) -> int:
        """Rows in the partition files."""
        return sum(md.num_rows for md in self.footers)


@dataclass
class ExternalCatalog:
    """An existing HATS catalog (and its margin) found at a path, checked."""

    main: HatsFiles
    margin: HatsFiles | None
    ra: str
    dec: str

    @property
    def threshold(self) -> float | None:
        """The margin's ``hats_margin_threshold`` (arcsec), None without a margin."""
        return float(self.margin.props["hats_margin_threshold"]) if self.margin else None

    def sha256(self) -> str:
        """A digest of what was registered: paths, properties, files and their sizes."""
        h = hashlib.sha256()
        for cat in (self.main, self.margin):
            if cat is None:
                continue
            h.update(str(cat.folder).encode())
            h.update(json.dumps(cat.props, sort_keys=True).encode())
            for f, md in zip(cat.files, cat.footers, strict=True):
                h.update(f"{f}:{f.stat().st_size}:{md.num_rows}\n".encode())
        return h.hexdigest()


def _props(folder: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in (layout.PROPERTIES_FILE, "properties", "collection.properties"):
        f = folder / name
        if f.is_file():
            for line in f.read_text().splitlines():
                key, sep, value = line.partition("=")
                if sep and not key.lstrip().startswith("#"):
                    out.setdefault(key.strip(), value.strip())
            if name != "properties":
                break
    return out


def _hats(path: Path) -> Any:
    """``hats.read_hats`` of ``path``, its failure as one line."""
    import hats

    try:
        return hats.read_hats(path)
    except Exception as exc:  # hats raises many kinds (FileNotFoundError, ValueError, ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise XcatError(f"{path} is not a readable HATS catalog ({first})") from exc


def find(path: str | os.PathLike, margin: str | os.PathLike | None = None) -> ExternalCatalog:
    """The HATS catalog at ``path`` (a catalog or a collection) and its margin: ``margin``,
    the collection's default margin, xcat's ``margin/`` inside it, or a sibling
    ``<name>*`` margin catalog whose ``hats_primary_table_url`` is this catalog. Raises
    ``XcatError`` for anything xcat cannot read as its own.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise XcatError(f"{path}: no such HATS catalog folder")
    folder = folder.resolve()
    if not any((folder / n).is_file() for n in (layout.PROPERTIES_FILE, "properties",
                                                "collection.properties")):
        raise XcatError(f"{path} is not a HATS catalog: no hats.properties or "
                        "collection.properties in it")
    cat = _hats(folder)
    margin_dir = Path(margin).expanduser().resolve() if margin is not None else None
    if hasattr(cat, "main_catalog_dir"):  # a collection
        if margin_dir is None and cat.default_margin_catalog_dir is not None:
            margin_dir = Path(str(cat.default_margin_catalog_dir))
        folder, cat = Path(str(cat.main_catalog_dir)), cat.main_catalog
    info = cat.catalog_info
    if str(info.catalog_type) not in ("object", "source", "CatalogType.OBJECT",
                                      "CatalogType.SOURCE"):
        raise XcatError(f"{folder} is a HATS {info.catalog_type} catalog, not an object or "
                        "source catalog")
    if margin_dir is None and (folder / upkeep.MARGIN_DIR / layout.PROPERTIES_FILE).is_file():
        margin_dir = folder / upkeep.MARGIN_DIR  # a catalog xcat wrote (another store's)
    if margin_dir is None:
        margin_dir = _sibling_margin(folder)
    main = _files(folder, cat)
    ra, dec = info.ra_column, info.dec_column
    for col in (layout.HEALPIX_COLUMN, ra, dec):
        if not col or col not in main.schema.names:
            why = ("xcat needs _healpix_29, the HATS spatial index"
                   if col == layout.HEALPIX_COLUMN else "hats_col_ra/hats_col_dec")
            raise XcatError(f"{folder}: the catalog has no column '{col}' ({why})")
    mfiles = None
    if margin_dir is not None:
        mcat = _hats(margin_dir)
        if getattr(mcat.catalog_info, "margin_threshold", None) is None:
            raise XcatError(f"{margin_dir} is not a HATS margin catalog (no "
                            "hats_margin_threshold)")
        mfiles = _files(margin_dir, mcat, check=False)
        if layout.HEALPIX_COLUMN not in mfiles.schema.names:
            raise XcatError(f"{margin_dir}: the margin catalog has no column '_healpix_29'")
        mfiles.props["hats_margin_threshold"] = repr(float(mcat.catalog_info.margin_threshold))
    return ExternalCatalog(main, mfiles, ra, dec)


def _sibling_margin(folder: Path) -> Path | None:
    """A margin catalog beside ``folder`` made for it (hats-import's ``<name>_margin``,
    the public catalogs' ``<name>_10arcs``): the widest when there are several.
    """
    found = []
    for cand in sorted(folder.parent.glob(f"{folder.name}*")):
        if cand == folder or not cand.is_dir():
            continue
        props = _props(cand)
        if props.get("dataproduct_type") != "margin" or "hats_margin_threshold" not in props:
            continue
        primary = props.get("hats_primary_table_url", "")
        if primary and Path(primary).name != folder.name and \
                (cand / primary).resolve() != folder:
            continue
        found.append((float(props["hats_margin_threshold"]), cand))
    return max(found)[1] if found else None


def _files(folder: Path, cat: Any, *, check: bool = True) -> HatsFiles:
    """Partitions, files and footers of a HATS catalog; checks each file's order
    (``check``: not for a margin, whose rows lie outside their pixel, in any order).
    """
    props = _props(folder)
    suffix = props.get("hats_npix_suffix", ".parquet")
    parts = sorted(((p.order, p.pixel) for p in cat.get_healpix_pixels()),
                   key=lambda op: healpix.pixel_range29(*op)[0])
    files, listed = [], []
    for order, pixel in parts:
        if suffix in ("/", "\\"):  # a folder per partition (xcat's margins: one file
            inside = sorted(layout.partition_dir(folder, order, pixel).glob("*.parquet"))
            if check and len(inside) != 1:  # per source partition)
                raise XcatError(f"{folder}: partition Norder={order} Npix={pixel} has "
                                f"{len(inside)} Parquet files; xcat reads one per partition")
            files += inside or [layout.partition_file(folder, order, pixel)]
            listed += [(order, pixel)] * max(len(inside), 1)
        else:
            d = layout.partition_dir(folder, order, pixel)
            files.append(d.parent / f"{d.name}{suffix}")
            listed.append((order, pixel))
    parts = listed
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise XcatError(f"{folder}: {len(missing)} partition file(s) listed but missing, "
                        f"e.g. {missing[0]}")
    with ThreadPoolExecutor(READ_THREADS) as pool:
        footers = list(pool.map(pq.read_metadata, files))
    common = folder / layout.DATASET_DIR / layout.COMMON_METADATA_FILE
    schema = pq.read_schema(common) if common.is_file() else (
        pq.read_schema(files[0]) if files else pa.schema([]))
    hats_files = HatsFiles(folder, props, parts, files, schema, footers)
    if check and layout.HEALPIX_COLUMN in schema.names:
        with ThreadPoolExecutor(READ_THREADS) as pool:
            list(pool.map(_check_order, parts, files, footers))
    return hats_files


def _check_order(part: tuple[int, int], f: Path, md: pq.FileMetaData) -> None:
    """Rows of a partition file lie in its pixel, sorted by ``_healpix_29`` (trusted
    when the file records that sort order, read and checked otherwise).
    """
    names = md.schema.to_arrow_schema().names
    col = names.index(layout.HEALPIX_COLUMN)
    lo, hi = healpix.pixel_range29(*part)
    for i in range(md.num_row_groups):
        st = md.row_group(i).column(col).statistics
        if st is not None and st.has_min_max and not (lo <= st.min and st.max < hi):
            raise XcatError(f"{f}: _healpix_29 values outside the partition's pixel "
                            f"Norder={part[0]} Npix={part[1]}")
    sorting = md.row_group(0).sorting_columns if md.num_row_groups else None
    if sorting and sorting[0].column_index == col and not sorting[0].descending \
            and md.num_row_groups == 1:
        return
    h = pq.read_table(f, columns=[layout.HEALPIX_COLUMN]).column(0).to_numpy()
    if len(h) > 1 and not bool(np.all(h[1:] >= h[:-1])):
        raise XcatError(f"{f}: rows are not sorted by _healpix_29 (xcat's cone and "
                        "cross-match read them in that order); sort each partition file, "
                        "as hats-import does")


def column_meta(schema: pa.Schema) -> dict[str, ColumnMeta]:
    """Unit, UCD and description of each column from the Parquet field metadata."""
    out = {}
    for f in schema:
        md = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
        if any(md.get(k) for k in ("unit", "ucd", "description")):
            out[f.name] = ColumnMeta(md.get("unit") or None, md.get("ucd") or None,
                                     md.get("description") or None)
    return out


def choose_key(files: list[Path], schema: pa.Schema, n_rows: int, key: str | None
               ) -> tuple[list[str], str | None]:
    """The key of a catalog xcat cannot add a row number to: ``key`` (checked unique),
    or the one unique id/name column as an ingest chooses it (:func:`choose_key_by`),
    counted by DuckDB over ``files``. Returns the key and a note.
    """
    glob = [str(f) for f in files]
    con = duckdb.connect()

    def unique(cols: list[str]) -> list[str]:
        cols = [c for c in cols if pa.types.is_integer(schema.field(c).type)
                or pa.types.is_string(schema.field(c).type)
                or pa.types.is_large_string(schema.field(c).type)]
        if not cols:
            return []
        q = ", ".join(f'count(DISTINCT "{c}"), count("{c}")' for c in cols)
        got = con.execute(f"SELECT {q} FROM read_parquet($f)", {"f": glob}).fetchone()
        return [c for i, c in enumerate(cols) if got[2 * i] == got[2 * i + 1] == n_rows]

    try:
        if key is not None:
            if key not in schema.names:
                raise XcatError(f"--key {key}: no such column (columns: "
                                f"{', '.join(schema.names[:12])}...)")
            if not unique([key]):
                raise XcatError(f"--key {key} is not a unique, non-NULL string or integer "
                                "column of the catalog")
            return [key], None
        chosen, note = choose_key_by(
            [c for c in schema.names if c != layout.HEALPIX_COLUMN], unique)
    finally:
        con.close()
    if chosen is None:
        raise XcatError("no unique id/name column to key the catalog's rows, and xcat does "
                        "not add a row number to files it did not write: give --key COL")
    return [chosen], note


def write_links(cat: HatsFiles, out: Path, props: dict[str, str]) -> None:
    """The link version of ``cat`` at ``out`` (see module doc): xcat's layout, each
    partition file a symbolic link to the external file.
    """
    dataset = out / layout.DATASET_DIR
    dataset.mkdir(parents=True)
    mds = []
    many = len(set(cat.parts)) < len(cat.parts)  # a margin with several files a partition
    for (order, pixel), f, md in zip(cat.parts, cat.files, cat.footers, strict=True):
        link = layout.partition_dir(out, order, pixel) / f.name if many else \
            layout.partition_file(out, order, pixel)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(f)
        md.set_file_path(str(link.relative_to(dataset)))
        mds.append(md)
    pq.write_metadata(cat.schema, dataset / layout.COMMON_METADATA_FILE)
    try:
        pq.write_metadata(cat.schema, dataset / layout.METADATA_FILE, metadata_collector=mds)
    except (RuntimeError, pa.ArrowInvalid):  # files whose Parquet schemas differ
        pq.write_metadata(cat.schema, dataset / layout.METADATA_FILE)
    with (out / layout.PARTITION_INFO_FILE).open("w") as fh:
        fh.write("Norder,Npix\n")
        fh.writelines(f"{o},{p}\n" for o, p in dict.fromkeys(cat.parts))
    merged = {**cat.props, "hats_nrows": str(cat.n_rows), "hats_npix_suffix": "/",
              EXTERNAL_KEY: str(cat.folder), **props}
    (out / layout.PROPERTIES_FILE).write_text("".join(f"{k}={v}\n" for k, v in merged.items()))


@dataclass
class ExternalBuild(CatalogBuild):
    """A registered HATS catalog as the runner installs it: written as a link version
    (external), or moved in (a catalog hats-import wrote into the store's staging).
    """

    found: ExternalCatalog | None = None
    #: A catalog xcat wrote (hats-import in the store's staging): moved in, not linked
    owned: Path | None = None

    @property
    def num_rows(self) -> int:
        """Rows of the registered catalog."""
        assert self.found is not None
        return self.found.main.n_rows

    def write_into(self, out: Path, sha256: str) -> list[tuple[int, int]]:
        """Write the version folder ``out``; return its partitions."""
        assert self.found is not None
        extra = {"xcat_kind": self.kind, "xcat_source_sha256": sha256}
        if self.owned is not None:
            self.owned.rename(out)
            _rewrite_props(out, extra)
            if (out / upkeep.MARGIN_DIR).is_dir():
                _rewrite_props(out / upkeep.MARGIN_DIR, {"hats_primary_table_url": ".."})
            return self.found.main.parts
        write_links(self.found.main, out, extra)
        if self.found.margin is not None:
            write_links(self.found.margin, out / upkeep.MARGIN_DIR,
                        {"hats_primary_table_url": ".."})
        return self.found.main.parts


def _rewrite_props(folder: Path, extra: dict[str, str]) -> None:
    props = {**_props(folder), **extra}
    (folder / layout.PROPERTIES_FILE).write_text(
        "".join(f"{k}={v}\n" for k, v in props.items()))


def build(found: ExternalCatalog, *, name: str, key: str | None,
          kind: str = "hats", owned: Path | None = None) -> ExternalBuild:
    """The build the runner installs for ``found`` registered as ``name``."""
    check_name(name)
    keys, note = choose_key(found.main.files, found.main.schema, found.main.n_rows, key)
    schema = found.main.schema
    return ExternalBuild(name=name, kind=kind, table=schema.empty_table(),
                         meta=column_meta(schema), ra=found.ra, dec=found.dec, key=keys,
                         notes=[note] if note else [], found=found, owned=owned)


def external_path(folder: Path) -> str | None:
    """The external catalog a version folder links to (None: xcat's own files)."""
    return _props(folder).get(EXTERNAL_KEY) if (folder / layout.PROPERTIES_FILE).is_file() \
        else None


def missing_links(folder: Path) -> list[str]:
    """Partition links of a link version (and of its margin) whose external file is gone."""
    out = []
    for sub in (folder, folder / upkeep.MARGIN_DIR):
        data = sub / layout.DATASET_DIR
        if data.is_dir():
            out += [str(p.readlink()) for p in data.glob("Norder=*/Dir=*/Npix=*/*.parquet")
                    if p.is_symlink() and not p.exists()]
    return out


def open_lsdb(folder: Path, columns: list[str] | None = None) -> Any:
    """The catalog at ``folder`` as an ``lsdb`` Catalog with its margin cache attached."""
    try:
        import lsdb
    except ImportError as exc:
        raise XcatError("Store.lsdb needs lsdb: pip install 'xcat[dask]'") from exc
    margin = folder / upkeep.MARGIN_DIR
    kwargs: dict[str, Any] = {"margin_cache": str(margin)} if margin.is_dir() else {}
    if columns is not None:
        kwargs["columns"] = columns
    return lsdb.open_catalog(str(folder), **kwargs)
